"""grader: an autograder for convolutional-neural-network numpy exercises."""

__version__ = "0.1.0"
