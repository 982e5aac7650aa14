"""Record types and loaders per modality."""
