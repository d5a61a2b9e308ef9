// The frame Apicurio Registry's serdes write with their headers off (apicurio.registry.headers.enabled=false):
// magic byte 0x00, the id as an 8-byte big-endian long, then the body. The id is the artifact version's globalId,
// or its contentId when the producer sets apicurio.registry.use-id=contentId; the bytes do not say which, so the
// config does (schemaRegistry.apicurioUseId). Apicurio's Protobuf serializer starts the body with a
// length-delimited `Ref` message whose field 1 is the message's name (what header apicurio.protobuf.type holds
// otherwise). Confluent's frame has a 4-byte id and registries number ids from 1, so a 0x00 frame whose first
// four id bytes are zero is this one: Apicurio's ids are sequential, far below 2^32.

/** magic byte and the 8-byte id */
export const APICURIO_FRAME_BYTES = 9;
const MAX_NAME_BYTES = 1024;
const utf8 = new TextDecoder();

/** The 8-byte id of an Apicurio frame (bytes whose first five are zero), or what is wrong with it. */
export function apicurioFrameId(bytes: Uint8Array): number | string {
  if (bytes.length < APICURIO_FRAME_BYTES)
    return `an Apicurio frame (0x00 and an 8-byte id) has at least ${APICURIO_FRAME_BYTES} bytes, got ${bytes.length}`;
  const id = new DataView(bytes.buffer, bytes.byteOffset + 1, 8).getBigUint64(0, false);
  if (id === 0n) return "the value starts with 0x00 and nine zero bytes: neither a Confluent schema id nor an Apicurio id is 0";
  return Number(id);
}

/** The message's name and its bytes from an Apicurio Protobuf body (a delimited Ref, then the message). Never throws. */
export function readApicurioProtobufRef(body: Uint8Array): { name: string; message: Uint8Array } | string {
  const length = readVarint(body, 0);
  if (length === undefined) return "Apicurio's Ref: the body ends inside its length";
  const end = length.next + length.value;
  if (end > body.length) return `Apicurio's Ref: ${length.value} bytes announced, ${body.length - length.next} left`;
  let pos = length.next;
  let name: string | undefined;
  while (pos < end) {
    const tag = readVarint(body, pos);
    if (tag === undefined || tag.next >= end) return "Apicurio's Ref: a field ends inside its tag";
    pos = tag.next;
    const wireType = tag.value & 7;
    if (wireType === 0) {
      const skipped = readVarint(body, pos);
      if (skipped === undefined) return "Apicurio's Ref: a field ends inside its value";
      pos = skipped.next;
    } else if (wireType === 2) {
      const size = readVarint(body, pos);
      if (size === undefined || size.next + size.value > end) return "Apicurio's Ref: a field runs past the Ref";
      if (tag.value >>> 3 === 1) {
        if (size.value > MAX_NAME_BYTES) return `Apicurio's Ref: a message name of ${size.value} bytes`;
        name = utf8.decode(body.subarray(size.next, size.next + size.value));
      }
      pos = size.next + size.value;
    } else if (wireType === 1 || wireType === 5) {
      pos += wireType === 1 ? 8 : 4;
    } else return `Apicurio's Ref: wire type ${wireType} is not one a Ref holds`;
  }
  if (pos !== end) return "Apicurio's Ref: a field runs past the Ref";
  if (name === undefined) return "Apicurio's Ref names no message (field 1)";
  return { name, message: body.subarray(end) };
}

/** An unsigned varint of at most 32 bits at `pos`, or undefined when the bytes end inside it or it is longer. */
function readVarint(bytes: Uint8Array, pos: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= bytes.length) return undefined;
    const b = bytes[pos++];
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return value > 0xffffffff ? undefined : { value, next: pos };
  }
  return undefined;
}
