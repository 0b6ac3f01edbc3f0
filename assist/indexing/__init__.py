"""The index folder: building and loading the dense FAISS index, the BM25 lexical index and the
scenario head, with their manifest and checksums.
"""
