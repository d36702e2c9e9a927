list(APPEND RCC_TESTS test_eval test_partition test_vote)
list(APPEND RCC_PLOT_TESTS test_eval) # draws pictures: links librcc_plot
