"""minibatch's stand-in for the package Azure ML's parallel run provided to entry scripts."""
