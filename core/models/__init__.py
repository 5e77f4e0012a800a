"""The model zoo (logistic regression, MLPs, CNNs) and one preset per lesson experiment."""
