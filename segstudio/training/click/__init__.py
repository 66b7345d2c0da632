"""Training the learned click model: data, simulated users, the loop (see loop.py)."""
