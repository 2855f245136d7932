"""Local emulators of outside systems and the demo company."""
