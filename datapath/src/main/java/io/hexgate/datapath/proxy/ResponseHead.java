package io.hexgate.datapath.proxy;

import io.netty.buffer.ByteBuf;

/** A response head as read from the server, with the bytes it arrived as. */
final class ResponseHead {
  final String version;
  final int code;
  final HeaderList headers;
  /** Its length in the buffer, the empty line included. */
  final int length;
  HttpHeads.Framing framing = HttpHeads.Framing.NONE;
  ByteBuf raw;

  ResponseHead(String version, int code, HeaderList headers, int length) {
    this.version = version;
    this.code = code;
    this.headers = headers;
    this.length = length;
  }
}
