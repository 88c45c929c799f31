"""Plumbing every stage uses: atomic writes, reproducible dates, decoding budgets,
guarded file access, worker isolation and the office sandbox.

In: nothing of packetgen's. Out: small helpers; nothing here knows what a packet is.
"""
