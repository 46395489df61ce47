"""The Streamlit web UI; pages call the assistant service only."""
