import protobuf from "protobufjs";

/** The protobufjs JSON descriptor of an onnx.proto text (used by the generator and its test only). */
export function describeOnnxProto(protoText: string): protobuf.INamespace {
  const { root } = protobuf.parse(protoText, { keepCase: false });
  return root.toJSON();
}
