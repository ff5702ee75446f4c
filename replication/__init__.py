"""Replication and the cluster coordinator (see DESIGN.md): the processes and links that move
writes and topology between nodes. May import from `node`; `node` reaches it only through the
narrow interfaces its server wires up at start."""
