"""The clinical layer: measures, safety, problem areas and communication work."""
