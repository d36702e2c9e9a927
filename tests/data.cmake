# Data module tests (docs/data.md): readers on real and generated data, resize against PyTorch,
# augmentation statistics and torchvision fixtures, loader semantics and throughput, bad input.
list(APPEND RCC_TESTS test_data test_data_aug test_subset)
