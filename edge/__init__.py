"""The lightweight runner: numpy, OpenCV and a TFLite interpreter only (never tensorflow)."""
