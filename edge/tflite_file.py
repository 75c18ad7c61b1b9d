"""A pure-Python check of a .tflite file's FlatBuffer structure, run before any native interpreter sees it.

tflite-runtime 2.14 does not verify the buffer it is given: a truncated file, or one with a flipped byte in an
offset, makes it read out of bounds and the process dies with a segmentation fault. This check walks every
table, vector and string of the TFLite schema (and the vtable of every operator-options table) and proves each
offset lands inside the file, as the FlatBuffers verifier does, so that a damaged model is one line of error.
"""
from __future__ import annotations

import struct

FILE_IDENTIFIER = b"TFL3"
MAX_TABLES = 1_000_000  # as FlatBuffers' verifier: bounds the work on a hostile file

# The TFLite schema (tensorflow/lite/schema/schema.fbs), the fields that hold offsets: for each table, its field
# numbers with "string", "vector:N" (N-byte scalars), "table:T", "tables:T" (a vector of T) or "union:K:U"
# (a U table whose type is in field K). Scalar fields need no entry: every field is checked to lie in its table.
SCHEMA: dict[str, dict[int, str]] = {
    "Model": {1: "tables:OperatorCode", 2: "tables:SubGraph", 3: "string", 4: "tables:Buffer", 5: "vector:4",
              6: "tables:Metadata", 7: "tables:SignatureDef", 8: "tables:ExternalBufferGroup",
              9: "tables:ExternalBuffer"},
    "OperatorCode": {1: "string"},
    "SubGraph": {0: "tables:Tensor", 1: "vector:4", 2: "vector:4", 3: "tables:Operator", 4: "string"},
    "Tensor": {0: "vector:4", 3: "string", 4: "table:QuantizationParameters", 6: "table:SparsityParameters",
               7: "vector:4", 9: "tables:VariantSubType"},
    "QuantizationParameters": {0: "vector:4", 1: "vector:4", 2: "vector:4", 3: "vector:8",
                               5: "union:4:QuantizationDetails"},
    "CustomQuantization": {0: "vector:1"},
    "SparsityParameters": {0: "vector:4", 1: "vector:4", 2: "tables:DimensionMetadata"},
    "DimensionMetadata": {3: "union:2:SparseIndexVector", 5: "union:4:SparseIndexVector"},
    "Int32Vector": {0: "vector:4"},
    "Uint16Vector": {0: "vector:2"},
    "Uint8Vector": {0: "vector:1"},
    "VariantSubType": {0: "vector:4"},
    "Operator": {1: "vector:4", 2: "vector:4", 4: "union:3:BuiltinOptions", 5: "vector:1", 7: "vector:1",
                 8: "vector:4", 12: "union:11:BuiltinOptions2"},
    "Buffer": {0: "vector:1"},
    "Metadata": {0: "string"},
    "SignatureDef": {0: "tables:TensorMap", 1: "tables:TensorMap", 2: "string"},
    "TensorMap": {0: "string"},
    "ExternalBufferGroup": {0: "string"},
    "ExternalBuffer": {4: "string"},
    # operator options that hold offsets; every other options table holds scalars only
    "ConcatEmbeddingsOptions": {1: "vector:4", 2: "vector:4"},
    "ReshapeOptions": {0: "vector:4"},
    "SqueezeOptions": {0: "vector:4"},
    "VarHandleOptions": {0: "string", 1: "string"},
    "BucketizeOptions": {0: "vector:4"},
    "StablehloBroadcastInDimOptions": {0: "vector:8"},
    "StablehloSliceOptions": {0: "vector:8", 1: "vector:8", 2: "vector:8"},
    "StablehloConvolutionOptions": {0: "vector:8", 1: "vector:8", 2: "vector:8", 3: "vector:8", 4: "vector:1",
                                    7: "vector:8", 10: "vector:8", 13: "vector:8", 16: "vector:4"},
    "StablehloCustomCallOptions": {0: "string", 2: "string", 4: "vector:4", 5: "vector:1"},
    "StablehloReduceOptions": {0: "vector:8"},
    "StablehloScatterOptions": {1: "vector:8", 2: "vector:8", 3: "vector:8"},
    "StablehloDynamicSliceOptions": {0: "vector:8"},
    "StablehloPadOptions": {0: "vector:8", 1: "vector:8", 2: "vector:8"},
    "StablehloDotGeneralOptions": {0: "vector:8", 1: "vector:8", 2: "vector:8", 3: "vector:8", 4: "vector:4"},
    "StablehloReduceWindowOptions": {0: "vector:8", 1: "vector:8", 2: "vector:8", 3: "vector:8", 4: "vector:8"},
    "StablehloGatherOptions": {0: "vector:8", 1: "vector:8", 2: "vector:8", 4: "vector:8"},
    "StablehloTransposeOptions": {0: "vector:8"},
    "StableHLOCompositeOptions": {0: "string", 2: "vector:1"},
    "StablehloCaseOptions": {0: "vector:4"},
}
# Union members that hold offsets, by the union's type number; other numbers name scalar-only tables.
UNIONS: dict[str, dict[int, str]] = {
    "QuantizationDetails": {1: "CustomQuantization"},
    "SparseIndexVector": {1: "Int32Vector", 2: "Uint16Vector", 3: "Uint8Vector"},
    "BuiltinOptions": {3: "ConcatEmbeddingsOptions", 17: "ReshapeOptions", 30: "SqueezeOptions",
                       111: "VarHandleOptions", 115: "BucketizeOptions"},
    "BuiltinOptions2": {2: "StablehloBroadcastInDimOptions", 3: "StablehloSliceOptions",
                        4: "StablehloConvolutionOptions", 5: "StablehloCustomCallOptions", 6: "StablehloReduceOptions",
                        7: "StablehloScatterOptions", 9: "StablehloDynamicSliceOptions", 10: "StablehloPadOptions",
                        12: "StablehloDotGeneralOptions", 13: "StablehloReduceWindowOptions",
                        16: "StablehloGatherOptions", 17: "StablehloTransposeOptions",
                        21: "StableHLOCompositeOptions", 23: "StablehloCaseOptions"},
}
_SCALAR_ONLY = "scalar-only"  # an options table with no offsets to follow
_BUFFER_OFFSET_FIELD, _BUFFER_SIZE_FIELD = 1, 2  # Buffer.offset/size: data stored after the FlatBuffer (> 2 GB)


class ModelFileError(ValueError):
    """A file that is not a well-formed TFLite FlatBuffer (truncated, corrupted, or another kind of file)."""


def check_tflite(data: bytes) -> None:
    """Check that `data` is a complete TFLite FlatBuffer: the "TFL3" identifier, and every table, vtable, vector
    and string of the schema inside the file, so that an interpreter reading it cannot read out of bounds.

    Raises:
        ModelFileError: what is wrong, in a few words.
    """
    if len(data) < 8:
        raise ModelFileError(f"{len(data)} bytes: too short for a TFLite model")
    if data[4:8] != FILE_IDENTIFIER:
        raise ModelFileError("not a TFLite model (no TFL3 identifier)")
    _Walker(data).table(_u32(data, 0), "Model")


def _u32(data: bytes, position: int) -> int:
    return struct.unpack_from("<I", data, position)[0]


class _Walker:
    """Follows every offset of the schema from the root table, checking each lands inside the file."""

    def __init__(self, data: bytes):
        self.data = data
        self.tables_seen = 0

    def need(self, start: int, size: int, what: str) -> None:
        if start < 0 or size < 0 or start + size > len(self.data):
            raise ModelFileError(f"truncated or corrupted: {what} at byte {start} runs past the end of the file "
                                 f"({len(self.data)} bytes)")

    def follow(self, position: int, what: str) -> int:
        """The position an unsigned offset stored at `position` points to."""
        self.need(position, 4, what)
        target = position + _u32(self.data, position)
        self.need(target, 4, what)
        return target

    def table(self, position: int, name: str) -> None:
        """Check a table of schema type `name` at `position` and everything it points to."""
        self.tables_seen += 1
        if self.tables_seen > MAX_TABLES:
            raise ModelFileError(f"corrupted: more than {MAX_TABLES} tables")
        fields = self.fields(position, name)
        schema = SCHEMA.get(name, {})
        for number, kind in schema.items():
            field = fields.get(number)
            if field is None:
                continue
            if kind == "string":
                self.vector(self.follow(field, f"{name} string"), 1, f"{name} string", terminated=True)
            elif kind.startswith("vector:"):
                self.vector(self.follow(field, f"{name} vector"), int(kind[7:]), f"{name} vector")
            elif kind.startswith("table:"):
                self.table(self.follow(field, kind[6:]), kind[6:])
            elif kind.startswith("tables:"):
                element = kind[7:]
                start, count = self.vector(self.follow(field, f"{name} vector"), 4, f"{element} vector")
                for index in range(count):
                    self.table(self.follow(start + 4 * index, element), element)
            else:
                _, type_field, union = kind.split(":")
                self.union(fields, int(type_field), field, union)
        if name == "Buffer":
            self.external_buffer(fields)

    def fields(self, position: int, name: str) -> dict[int, int]:
        """The byte position of each present field of the table at `position`, after checking its vtable."""
        self.need(position, 4, f"{name} table")
        vtable = position - struct.unpack_from("<i", self.data, position)[0]
        self.need(vtable, 4, f"{name} vtable")
        vtable_size, table_size = struct.unpack_from("<HH", self.data, vtable)
        if vtable_size < 4 or vtable_size % 2:
            raise ModelFileError(f"corrupted: {name} vtable at byte {vtable} has size {vtable_size}")
        self.need(vtable, vtable_size, f"{name} vtable")
        self.need(position, table_size, f"{name} table")
        offsets = struct.unpack_from(f"<{(vtable_size - 4) // 2}H", self.data, vtable + 4)
        fields = {}
        for number, offset in enumerate(offsets):
            if offset == 0:
                continue
            if offset < 4 or offset >= table_size:
                raise ModelFileError(f"corrupted: {name} field {number} lies outside its table at byte {position}")
            fields[number] = position + offset
        return fields

    def vector(self, position: int, element_size: int, what: str, terminated: bool = False) -> tuple[int, int]:
        """(first element's position, length) of the vector at `position`, checked to lie in the file."""
        count = _u32(self.data, position)
        self.need(position + 4, count * element_size + (1 if terminated else 0), what)
        return position + 4, count

    def union(self, fields: dict[int, int], type_field: int, value_field: int, union: str) -> None:
        type_position = fields.get(type_field)
        member = self.data[type_position] if type_position is not None else 0
        if member == 0:
            return
        self.table(self.follow(value_field, union), UNIONS[union].get(member, _SCALAR_ONLY))

    def external_buffer(self, fields: dict[int, int]) -> None:
        """A Buffer whose data lies after the FlatBuffer (offset and size fields) must lie inside the file."""
        if _BUFFER_OFFSET_FIELD not in fields or _BUFFER_SIZE_FIELD not in fields:
            return
        self.need(fields[_BUFFER_OFFSET_FIELD], 8, "Buffer offset")
        self.need(fields[_BUFFER_SIZE_FIELD], 8, "Buffer size")
        offset = struct.unpack_from("<Q", self.data, fields[_BUFFER_OFFSET_FIELD])[0]
        size = struct.unpack_from("<Q", self.data, fields[_BUFFER_SIZE_FIELD])[0]
        if offset > 1:  # 0 and 1 mean "no data" in the schema
            self.need(offset, size, "Buffer data")
