package io.hexgate.observer.json;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;

/**
 * Hubble's JSON: protobuf JSON with the proto field names as declared ({@code drop_reason_desc},
 * {@code IP}, {@code Summary}), enums by name, 64-bit integers as strings, default values left out, one
 * object per line — what {@code hubble observe -o json} prints and the exporter writes.
 */
public final class HubbleJson {
  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().preservingProtoFieldNames().omittingInsignificantWhitespace();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

  private HubbleJson() {}

  /** One line, without its newline. */
  public static String line(MessageOrBuilder message) {
    try {
      return PRINTER.print(message);
    } catch (InvalidProtocolBufferException e) {
      // only Any with an unknown type gets here, and Hexgate's flows carry none
      throw new IllegalStateException("cannot print " + message.getClass().getSimpleName() + " as JSON", e);
    }
  }

  /** Reads one line (proto field names or lowerCamelCase) into {@code into}. */
  public static <B extends com.google.protobuf.Message.Builder> B parse(String json, B into) throws InvalidProtocolBufferException {
    PARSER.merge(json, into);
    return into;
  }
}
