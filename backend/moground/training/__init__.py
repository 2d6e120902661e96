"""Training the built-in encoder: data sources, feature cache, kinematic describer,
batches of spliced clips, the training loop and retrieval metrics."""
