"""Streamlit-aware helpers: caching, session state, the shared sidebar, widgets."""
