"""The Streamlit chat front end (``ragloom ui``): presentation only, every action a call on the public ``rag`` API.

One module per job: ``app`` (page layout), ``chat`` (conversation and streaming), ``sources`` (numbered
sources under an answer), ``charts``/``projection`` (score bars, embedding-space view), ``prompt_view``,
``controls``/``answer_settings`` (model and retrieval controls), ``index_panel``/``documents``/``uploads``
(indexes, ingestion, documents), ``resources`` (cached indexes and models), ``sample`` (bundled corpus),
``export`` (conversation downloads), ``errors`` (readable messages).
"""
