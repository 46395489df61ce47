"""Training the generator's adapter on grounded examples built from the public sets."""
