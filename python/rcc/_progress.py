"""The progress shown when an RCC estimator is verbose: on a terminal a bar redrawn in place, in a
log a line every tenth of an epoch, as `rcc train` shows it; a line per epoch in both."""

import sys
import time


def _clock(seconds):
    t = int(seconds + 0.5)
    return f"{t // 3600}:{t // 60 % 60:02d}:{t % 60:02d}" if t >= 3600 else f"{t // 60:02d}:{t % 60:02d}"


class Progress:
    """A callable taking the events of a fit, a load or a prediction (dicts with a 'kind')."""

    def __init__(self, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        try:
            self.tty = self.stream.isatty()
        except (AttributeError, ValueError):
            self.tty = False
        self.sec = 0.0     # smoothed seconds per step
        self.open = False  # a bar is drawn on the current line
        self.last = 0.0

    def _write(self, text, bar=False):
        if self.open:
            self.stream.write("\r\033[K")
        self.stream.write(text if bar else text + "\n")
        self.open = bar
        self.stream.flush()

    def __call__(self, e):
        kind = e["kind"]
        if kind == "step":
            self._step(e)
        elif kind == "epoch":
            self._epoch(e)
        elif kind == "note":
            self._write("rcc: note: " + e["message"])
        elif kind == "broken":
            self._write("rcc: skipping a broken image: " + e["why"])
        elif kind == "load" and self.tty:
            if e["folder"] is None:
                self._write("", bar=True)
            else:
                self._write(f"reading images: {e['decoded']} ({e['folder']})", bar=True)
        elif kind == "assign":
            now = time.monotonic()
            if self.tty and (now - self.last > 0.2 or e["done"] == e["total"]):
                self.last = now
                self._write(f"assigning: {e['done']}/{e['total']} images", bar=e["done"] < e["total"])

    def _step(self, e):
        self.sec = 0.9 * self.sec + 0.1 * e["seconds"] if self.sec > 0 else e["seconds"]
        total = e["epochs"] * e["batches"]
        done = (e["epoch"] - 1) * e["batches"] + e["batch"]
        rate = e["pairs"] / self.sec if self.sec > 0 else 0.0
        eta = _clock((total - done) * self.sec)
        loss = e["loss"]
        if e["self_label"]:
            terms = f"self-label {loss['total']:.4f}, {100 * e['confident']:.0f}% confident"
        else:
            terms = f"loss {loss['total']:.4f}"
        if self.tty:
            width = 24
            fill = int(width * e["batch"] / e["batches"])
            bar = "#" * fill + "." * (width - fill)
            self._write(f"epoch {e['epoch']}/{e['epochs']} [{bar}] {e['batch']}/{e['batches']}  {terms}  "
                        f"{rate:.0f} pairs/s  ETA {eta}", bar=True)
        elif e["batch"] % max(1, e["batches"] // 10) == 0 or e["batch"] == e["batches"]:
            self._write(f"epoch {e['epoch']}/{e['epochs']} batch {e['batch']}/{e['batches']} step {e['step']}: "
                        f"{terms} lr {e['lr']:.2e} ({rate:.0f} pairs/s, ETA {eta})")

    def _epoch(self, e):
        m = e["loss"]
        if e["self_label"]:
            line = (f"epoch {e['epoch']}/{e['epochs']} (self-labelling) done in {e['seconds']:.1f} s: "
                    f"loss {m['total']:.4f}, {100 * e['confident']:.1f}% of the images confident")
        else:
            line = (f"epoch {e['epoch']}/{e['epochs']} done in {e['seconds']:.1f} s: ins {m['ins']:.4f} "
                    f"clu {m['clu_nce']:.4f} ent {m['entropy']:.4f} unif {m['unif']:.4f} total {m['total']:.4f}")
        if e["evaluated"]:
            line += f" | ACC {e['acc']:.4f} NMI {e['nmi']:.4f} ARI {e['ari']:.4f}"
        if e["saved"]:
            line += " | saved"
        line += "\n  cluster sizes: " + " ".join(str(s) for s in e["sizes"])
        if e["empty"] or e["largest"] > 0.5:
            line += (f"\n  warning: cluster collapse: {e['empty']} empty cluster(s), the largest holds "
                     f"{100 * e['largest']:.0f}% of the images")
        self._write(line)
