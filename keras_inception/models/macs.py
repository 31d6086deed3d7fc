"""Counting the multiply-accumulate operations (MACs) of a Keras model.

The count is derived from the model's layer graph and the tensor shapes
recorded in it, so it reflects the model as built (input size, width,
groups, ...) rather than a figure copied from a paper.
"""

import math

import keras

__all__ = ["count_macs"]

_CONV = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D)
_CONV_TRANSPOSE = (
    keras.layers.Conv1DTranspose,
    keras.layers.Conv2DTranspose,
    keras.layers.Conv3DTranspose,
)
_DEPTHWISE = (keras.layers.DepthwiseConv1D, keras.layers.DepthwiseConv2D)
_SEPARABLE = (keras.layers.SeparableConv1D, keras.layers.SeparableConv2D)
_DENSE = (keras.layers.Dense,)
_COUNTED = _CONV + _CONV_TRANSPOSE + _DEPTHWISE + _SEPARABLE + _DENSE


def _graph_of(model):
    """Returns the Functional graph behind `model`, or None if it has none.

    A Functional model is its own graph; a Sequential model keeps one in
    `_functional` once it has been built.  Subclassed models have none.
    """
    if getattr(model, "_nodes_by_depth", None) is not None and hasattr(
        model, "inputs"
    ):
        return model
    functional = getattr(model, "_functional", None)
    if functional is not None and getattr(
        functional, "_nodes_by_depth", None
    ):
        return functional
    return None


def _unknown_dims_error(path, input_shape, output_shape):
    return ValueError(
        "count_macs(`model`) needs every spatial dimension to be known, but "
        f"layer '{path}' has input shape {tuple(input_shape)} and output "
        f"shape {tuple(output_shape)}. Build `model` with a fixed "
        "`input_shape`, e.g. input_shape=(299, 299, 3), before counting."
    )


def _spatial_and_channels(shape, data_format):
    """Splits a conv tensor shape (with batch axis) into spatial, channels."""
    shape = tuple(shape)
    if data_format == "channels_first":
        return shape[2:], shape[1]
    return shape[1:-1], shape[-1]


def _product(dims, path, input_shape, output_shape):
    if any(d is None for d in dims):
        raise _unknown_dims_error(path, input_shape, output_shape)
    return math.prod(int(d) for d in dims)


def _layer_macs(layer, path, input_shape, output_shape):
    """MACs of one call of `layer`; 0 for layers that are not counted."""
    if isinstance(layer, _SEPARABLE):
        out_spatial, _ = _spatial_and_channels(output_shape, layer.data_format)
        _, in_channels = _spatial_and_channels(input_shape, layer.data_format)
        positions = _product(out_spatial, path, input_shape, output_shape)
        mid_channels = int(in_channels) * int(layer.depth_multiplier)
        depthwise = positions * math.prod(layer.kernel_size) * mid_channels
        pointwise = positions * mid_channels * int(layer.filters)
        return depthwise + pointwise
    if isinstance(layer, _DEPTHWISE):
        out_spatial, _ = _spatial_and_channels(output_shape, layer.data_format)
        _, in_channels = _spatial_and_channels(input_shape, layer.data_format)
        positions = _product(out_spatial, path, input_shape, output_shape)
        return (
            positions
            * math.prod(layer.kernel_size)
            * int(in_channels)
            * int(layer.depth_multiplier)
        )
    if isinstance(layer, _CONV_TRANSPOSE):
        # Every input position is multiplied by the whole kernel.
        in_spatial, in_channels = _spatial_and_channels(
            input_shape, layer.data_format
        )
        positions = _product(in_spatial, path, input_shape, output_shape)
        return (
            positions
            * math.prod(layer.kernel_size)
            * int(in_channels)
            * int(layer.filters)
        )
    if isinstance(layer, _CONV):
        out_spatial, _ = _spatial_and_channels(output_shape, layer.data_format)
        _, in_channels = _spatial_and_channels(input_shape, layer.data_format)
        positions = _product(out_spatial, path, input_shape, output_shape)
        return (
            positions
            * math.prod(layer.kernel_size)
            * (int(in_channels) // int(layer.groups))
            * int(layer.filters)
        )
    if isinstance(layer, _DENSE):
        # Dense acts on the last axis; any axes between the batch axis and
        # the last one each get their own matrix-vector product.
        input_shape = tuple(input_shape)
        rows = _product(input_shape[1:-1], path, input_shape, output_shape)
        return rows * int(input_shape[-1]) * int(layer.units)
    return 0


def _check_no_hidden_counted_layers(layer, path):
    """Refuses layers that hide counted sublayers from the graph.

    A custom `Layer` (or subclassed `Model`) that creates e.g. `Conv2D`
    sublayers and calls them in `call()` does not expose those calls as
    graph nodes, so their cost cannot be read from the graph.  Rather than
    silently under-count, raise.
    """
    flatten = getattr(layer, "_flatten_layers", None)
    if flatten is None:
        return
    hidden = [
        sub for sub in flatten(include_self=False) if isinstance(sub, _COUNTED)
    ]
    if hidden:
        raise ValueError(
            f"count_macs(`model`) cannot see inside layer '{path}' "
            f"({type(layer).__name__}): it calls "
            f"{type(hidden[0]).__name__} layer '{hidden[0].name}' from its "
            "own `call()`, outside the model's layer graph. Only layers "
            "that are nodes of a Functional or Sequential graph (nested "
            "Functional/Sequential models included) can be counted."
        )


def _same_shapes(tensors_a, tensors_b):
    if len(tensors_a) != len(tensors_b):
        return False
    return all(
        tuple(a.shape) == tuple(b.shape) for a, b in zip(tensors_a, tensors_b)
    )


def _walk(graph, input_tensors, prefix, counts):
    """Visits every node of `graph` once, in topological order.

    `input_tensors` are the (symbolic) tensors fed to the graph's inputs.
    When their shapes match the ones recorded in the graph, the recorded
    shapes are used as they are; otherwise (a nested model built for a
    more general input shape than the one it is called with) shapes are
    propagated with `compute_output_spec`.  Returns the output tensors.
    """
    tensor_dict = {}
    for ref, value in zip(graph.inputs, input_tensors):
        tensor_dict[id(ref)] = value

    nodes_by_depth = graph._nodes_by_depth
    for depth in sorted(nodes_by_depth, reverse=True):
        for node in nodes_by_depth[depth]:
            layer = node.operation
            if layer is None or node.is_input:
                continue
            recorded_inputs = list(node.input_tensors)
            if any(id(t) not in tensor_dict for t in recorded_inputs):
                continue  # Not reachable from the inputs; never runs.
            inputs = [tensor_dict[id(t)] for t in recorded_inputs]
            path = prefix + layer.name

            inner = None
            if isinstance(layer, keras.Model):
                inner = _graph_of(layer)
            if inner is not None:
                if len(inputs) != len(inner.inputs):
                    raise ValueError(
                        f"Nested model '{path}' is called with "
                        f"{len(inputs)} tensors but has "
                        f"{len(inner.inputs)} inputs; count_macs cannot "
                        "follow this call."
                    )
                outputs = _walk(inner, inputs, path + "/", counts)
            else:
                _check_no_hidden_counted_layers(layer, path)
                if _same_shapes(inputs, recorded_inputs):
                    outputs = list(node.output_tensors)
                else:
                    args, kwargs = node.arguments.fill_in(tensor_dict)
                    outputs = keras.tree.flatten(
                        layer.compute_output_spec(*args, **kwargs)
                    )
                if isinstance(layer, _COUNTED):
                    macs = _layer_macs(
                        layer, path, inputs[0].shape, outputs[0].shape
                    )
                    counts[path] = counts.get(path, 0) + macs

            for ref, value in zip(node.output_tensors, outputs):
                tensor_dict[id(ref)] = value

    return [tensor_dict[id(t)] for t in graph.outputs]


def count_macs(model, per_layer=False):
    """Counts the multiply-accumulates (MACs) of one forward pass.

    The count is for a batch of one and is computed from the model's layer
    graph and the shapes recorded in it.  These layers are counted:

    * ``Conv1D``/``Conv2D``/``Conv3D``: output positions x kernel size x
      (input channels / groups) x filters.
    * ``DepthwiseConv1D``/``DepthwiseConv2D``: output positions x kernel
      size x input channels x depth multiplier.
    * ``SeparableConv1D``/``SeparableConv2D``: the depthwise part as above
      plus the pointwise part (output positions x input channels x depth
      multiplier x filters).
    * ``Conv1DTranspose``/``Conv2DTranspose``/``Conv3DTranspose``: input
      positions x kernel size x input channels x filters.
    * ``Dense``: input features x units, times the product of any axes
      between the batch axis and the last one.

    Everything else is left out: batch normalization, activations, bias
    additions, pooling, residual additions, concatenations, reshapes and
    so on.  This is the convention of the papers that report "mult-adds"
    (e.g. MobileNet, ResNet, Inception) and of the counters used with
    torchvision and timm, so the results are comparable with their figures.

    Nested Functional and Sequential models (a model used as a layer) are
    walked recursively, and each layer is counted once per call in the
    graph: a shared layer called twice counts twice.

    Args:
        model: A built Functional or Sequential ``keras.Model``.  Every
            counted layer must have known spatial dimensions, so build the
            model with a fixed ``input_shape``.
        per_layer: If True, also return the count of every counted layer.

    Returns:
        The total number of MACs as an ``int``.  With ``per_layer=True``, a
        tuple ``(total, per_layer_macs)`` where ``per_layer_macs`` maps each
        counted layer's path (layer names joined by ``"/"`` for layers of
        nested models, e.g. ``"backbone/conv1"``) to its MACs, in graph
        order; a layer called several times maps to the sum of its calls,
        so the values add up to the total.

    Raises:
        TypeError: If ``model`` is not a ``keras.Model``.
        ValueError: If ``model`` has no layer graph (an unbuilt Sequential
            or a subclassed model), if a counted layer has an unknown
            (``None``) spatial dimension, or if a layer calls counted
            sublayers outside the graph.

    Example:

    >>> import keras
    >>> from keras_inception.models.macs import count_macs
    >>> inputs = keras.Input(shape=(8, 8, 3))
    >>> x = keras.layers.Conv2D(4, 3, padding="same")(inputs)
    >>> outputs = keras.layers.Dense(10)(keras.layers.Flatten()(x))
    >>> model = keras.Model(inputs, outputs)
    >>> count_macs(model)  # 8*8*3*3*3*4 + 256*10
    9472
    """
    if not isinstance(model, keras.Model):
        raise TypeError(
            "`model` must be a keras.Model (Functional or Sequential). "
            f"Received: model of type {type(model)}"
        )
    graph = _graph_of(model)
    if graph is None:
        raise ValueError(
            "count_macs needs a layer graph, but `model` has none: build a "
            "Sequential model first (e.g. with an `Input` or "
            "`model.build(input_shape)`), and use the Functional API rather "
            f"than subclassing. Received: model of type {type(model)}"
        )
    counts = {}
    _walk(graph, list(graph.inputs), "", counts)
    total = int(sum(counts.values()))
    if per_layer:
        return total, counts
    return total
