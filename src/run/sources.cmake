list(APPEND RCC_LIB_SOURCES
  src/run/config.c src/run/setup.c src/run/checkpoint.c src/run/net.c src/run/run.c src/run/metrics_log.c src/run/api.c src/run/bench.c src/run/score.c
  src/run/stream.c src/run/stream_pool.c src/run/stream_source.c)
list(APPEND RCC_CLI_SOURCES cli/cmd_train.c cli/train_stream.c cli/cmd_predict.c cli/cmd_reproduce.c cli/reproduce_report.c)
