"""The journal in the layouts accounting systems import."""
