"""A small builder over the `onnx` helper API for deterministic test and benchmark graphs (no torch).

    graph = GraphBuilder(seed=7)
    x = graph.input("images", [1, 3, 640, 640])
    y = graph.conv(x, 3, 16, kernel=3, stride=2, activation="silu")
    graph.output(y, [1, 16, 320, 320])
    model = graph.build(metadata={"names": "{0: 'checked'}"})

Weights come from a seeded numpy generator (He-scaled normal), so building twice gives
byte-identical files. `graph_cost` counts parameters and multiply-accumulates of a built model
from its inferred shapes, which is how the fixtures and the benchmark graph are sized.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, shape_inference

OPSET = 17  # what `yolo export ... opset=17` writes
IR_VERSION = 8  # the IR version that goes with opset 17; onnxruntime 1.32 reads up to 11
PRODUCER = "training.checkbox"


class GraphBuilder:
    def __init__(self, *, seed: int) -> None:
        self._rng = np.random.default_rng(seed)
        self._nodes: list[onnx.NodeProto] = []
        self._initializers: list[onnx.TensorProto] = []
        self._inputs: list[onnx.ValueInfoProto] = []
        self._outputs: list[onnx.ValueInfoProto] = []
        self._counter = 0

    def _name(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}_{self._counter}"

    # --- graph interface ---------------------------------------------------------------------

    def input(self, name: str, shape: Sequence[int | str]) -> str:
        self._inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape)))
        return name

    def output(self, tensor: str, shape: Sequence[int | str], *, name: str | None = None) -> str:
        if name is not None and name != tensor:
            tensor = self.op("Identity", [tensor], name=name)
        self._outputs.append(helper.make_tensor_value_info(tensor, TensorProto.FLOAT, list(shape)))
        return tensor

    def constant(self, array: np.ndarray, *, prefix: str = "const") -> str:
        name = self._name(prefix)
        self._initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def op(self, op_type: str, inputs: Sequence[str], *, name: str | None = None, **attributes: object) -> str:
        output = name or self._name(op_type.lower())
        self._nodes.append(helper.make_node(op_type, list(inputs), [output], name=f"/{output}", **attributes))
        return output

    def ops(self, op_type: str, inputs: Sequence[str], outputs: int, **attributes: object) -> list[str]:
        names = [self._name(op_type.lower()) for _ in range(outputs)]
        self._nodes.append(helper.make_node(op_type, list(inputs), names, name=f"/{names[0]}", **attributes))
        return names

    # --- layers ------------------------------------------------------------------------------

    def conv(
        self,
        x: str,
        c_in: int,
        c_out: int,
        *,
        kernel: int = 1,
        stride: int = 1,
        activation: str | None = "silu",
        weight_scale: float = 1.0,
        bias: np.ndarray | float = 0.0,
    ) -> str:
        """Conv (batch norm folded in, as exported graphs have it) + activation.

        silu is written the way torch.onnx exports nn.SiLU at opset 17: Sigmoid then Mul."""
        fan_in = c_in * kernel * kernel
        weight = self._rng.standard_normal((c_out, c_in, kernel, kernel), dtype=np.float32)
        weight *= np.float32(weight_scale * np.sqrt(2.0 / fan_in))
        bias_array = np.broadcast_to(np.asarray(bias, dtype=np.float32), (c_out,)).copy()
        y = self.op(
            "Conv",
            [x, self.constant(weight, prefix="w"), self.constant(bias_array, prefix="b")],
            kernel_shape=[kernel, kernel],
            strides=[stride, stride],
            pads=[kernel // 2] * 4,
        )
        if activation is None:
            return y
        if activation == "relu":
            return self.op("Relu", [y])
        if activation == "silu":
            return self.op("Mul", [y, self.op("Sigmoid", [y])])
        raise ValueError(f"unknown activation {activation!r}")

    def max_pool(self, x: str, *, kernel: int, stride: int) -> str:
        pad = kernel // 2 if stride == 1 else 0
        return self.op("MaxPool", [x], kernel_shape=[kernel, kernel], strides=[stride, stride], pads=[pad] * 4)

    def build(self, *, graph_name: str, metadata: Mapping[str, str] | None = None, doc: str = "") -> onnx.ModelProto:
        graph = helper.make_graph(self._nodes, graph_name, self._inputs, self._outputs, self._initializers)
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET)],
            producer_name=PRODUCER,
            producer_version="1",
            ir_version=IR_VERSION,
            doc_string=doc,
        )
        if metadata:
            helper.set_model_props(model, dict(metadata))
        onnx.checker.check_model(model, full_check=True)
        return model


@dataclass(frozen=True)
class GraphCost:
    parameters: int  # elements of the initializers (weights, biases, constant tensors)
    conv_macs: int  # multiply-accumulates of every Conv, from the inferred shapes

    @property
    def gflops(self) -> float:
        """GFLOPs as ultralytics reports them: 2 x multiply-accumulates."""
        return 2 * self.conv_macs / 1e9


def graph_cost(model: onnx.ModelProto) -> GraphCost:
    inferred = shape_inference.infer_shapes(model, strict_mode=True)
    shapes = {}
    for value in [*inferred.graph.value_info, *inferred.graph.output, *inferred.graph.input]:
        dims = [d.dim_value for d in value.type.tensor_type.shape.dim]
        shapes[value.name] = dims
    initializers = {tensor.name: tensor for tensor in model.graph.initializer}
    parameters = sum(int(np.prod(tensor.dims)) for tensor in model.graph.initializer)
    macs = 0
    for node in inferred.graph.node:
        if node.op_type != "Conv":
            continue
        weight = initializers[node.input[1]]
        _c_out, c_in_per_group, kh, kw = weight.dims
        _, c_out, out_h, out_w = shapes[node.output[0]]
        macs += out_h * out_w * c_out * c_in_per_group * kh * kw
    return GraphCost(parameters=parameters, conv_macs=macs)


def serialize(model: onnx.ModelProto) -> bytes:
    """Deterministic bytes (protobuf map-free messages serialize in field order)."""
    return model.SerializeToString(deterministic=True)
