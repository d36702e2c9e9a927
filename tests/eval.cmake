list(APPEND RCC_TESTS test_eval)
