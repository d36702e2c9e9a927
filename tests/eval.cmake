list(APPEND RCC_TESTS test_eval)
list(APPEND RCC_PLOT_TESTS test_eval) # draws pictures: links librcc_plot
