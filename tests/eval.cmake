list(APPEND RCC_TESTS test_eval test_partition)
list(APPEND RCC_PLOT_TESTS test_eval) # draws pictures: links librcc_plot
