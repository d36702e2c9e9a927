# Pictures (issue 5; a library of their own since issue 19): librcc_plot draws PNG files with cairo
# (public header include/rcc_plot.h), so librcc itself needs no drawing library; and `rcc plot`.
list(APPEND RCC_PLOT_SOURCES src/plot/draw.c src/plot/sphere.c src/plot/charts.c src/plot/timecurve.c src/plot/grid.c)
list(APPEND RCC_PLOT_PKG_MODULES cairo)
list(APPEND RCC_CLI_SOURCES cli/cmd_plot.c)
