"""The baseline of bench/load_test.py: a Streamlit page with a title and five sliders and nothing
else, so a rerun costs only what Streamlit itself costs (``--baseline``)."""

import streamlit as st

st.title("Baseline")
for i in range(5):
    st.slider(f"weight {i}", 0, 100, 20, key=f"w{i}")
