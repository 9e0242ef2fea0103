"""ONNX graphs of ganzoo bundles, one module per family (dcgan.py, …), each with
`build(g: Graph, config: dict) -> (inputs, outputs)`, where inputs and outputs are ONNX
value infos. common.py holds the bundle reader and the graph builder they share."""
