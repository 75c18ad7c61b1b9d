"""Training side of digits: MNIST data, the Keras models and the `digits-train` job."""
