"""Conversion of trained Keras models to float32 and full-integer int8 TFLite models."""
