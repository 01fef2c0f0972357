"""Chinese and English: the label tables by area (text.py merges them) and number/date formatting."""
