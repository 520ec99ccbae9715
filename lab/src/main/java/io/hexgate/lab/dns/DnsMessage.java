package io.hexgate.lab.dns;

import io.hexgate.contract.net.Ipv4;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The part of the DNS wire format (RFC 1035) the lab's server needs: a query's header and question, and an
 * answer with A records. Names are read with compression pointers (RFC 1035 4.1.4) and written without.
 */
public final class DnsMessage {
  public static final int TYPE_A = 1;
  public static final int TYPE_AAAA = 28;
  public static final int CLASS_IN = 1;
  public static final int RCODE_OK = 0;
  public static final int RCODE_FORMAT_ERROR = 1;
  public static final int RCODE_SERVER_FAILURE = 2;
  public static final int RCODE_NAME_ERROR = 3;
  public static final int RCODE_NOT_IMPLEMENTED = 4;
  public static final int RCODE_REFUSED = 5;
  private static final int MAX_POINTERS = 16;

  /** One question: a lower-case name without the final dot, its type and class. */
  public record Question(String name, int type, int klass) {}

  /** A parsed query. */
  public record Query(int id, int flags, List<Question> questions) {
    public boolean recursionDesired() {
      return (flags & 0x0100) != 0;
    }

    public int opcode() {
      return flags >> 11 & 0xf;
    }

    public boolean isResponse() {
      return (flags & 0x8000) != 0;
    }
  }

  private DnsMessage() {}

  /** Parses a query; a malformed one throws {@link IllegalArgumentException} saying where. */
  public static Query parseQuery(byte[] packet, int length) {
    if (length < 12) {
      throw new IllegalArgumentException("DNS message shorter than its 12-byte header: " + length + " bytes");
    }
    ByteBuffer b = ByteBuffer.wrap(packet, 0, length);
    int id = b.getShort() & 0xffff;
    int flags = b.getShort() & 0xffff;
    int qd = b.getShort() & 0xffff;
    b.getShort();
    b.getShort();
    b.getShort();
    List<Question> questions = new ArrayList<>();
    for (int i = 0; i < qd; i++) {
      String name = readName(packet, length, b);
      if (b.remaining() < 4) {
        throw new IllegalArgumentException("question " + (i + 1) + " of DNS message is cut short after its name");
      }
      questions.add(new Question(name, b.getShort() & 0xffff, b.getShort() & 0xffff));
    }
    return new Query(id, flags, questions);
  }

  private static String readName(byte[] packet, int length, ByteBuffer b) {
    StringBuilder name = new StringBuilder();
    int pos = b.position();
    int end = -1;
    int pointers = 0;
    while (true) {
      if (pos >= length) {
        throw new IllegalArgumentException("DNS name runs past the end of the message");
      }
      int len = packet[pos] & 0xff;
      if ((len & 0xc0) == 0xc0) {
        if (pos + 1 >= length || ++pointers > MAX_POINTERS) {
          throw new IllegalArgumentException("DNS name has a bad compression pointer at byte " + pos);
        }
        if (end < 0) {
          end = pos + 2;
        }
        pos = (len & 0x3f) << 8 | packet[pos + 1] & 0xff;
        continue;
      }
      if ((len & 0xc0) != 0) {
        throw new IllegalArgumentException("DNS name has an unknown label type at byte " + pos);
      }
      pos++;
      if (len == 0) {
        break;
      }
      if (pos + len > length || name.length() + len > 254) {
        throw new IllegalArgumentException("DNS name label runs past the end of the message or the name is too long");
      }
      if (name.length() > 0) {
        name.append('.');
      }
      name.append(new String(packet, pos, len, StandardCharsets.ISO_8859_1));
      pos += len;
    }
    b.position(end >= 0 ? end : pos);
    return name.toString().toLowerCase(Locale.ROOT);
  }

  /**
   * An answer to {@code query}: its first question echoed, {@code addresses} as A records of that name
   * with {@code ttl}, the given response code, authoritative, recursion not available.
   */
  public static byte[] answer(Query query, int rcode, List<byte[]> addresses, int ttl) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(512);
    Question q = query.questions().isEmpty() ? null : query.questions().get(0);
    int flags = 0x8000 | 0x0400 | query.opcode() << 11 | (query.flags() & 0x0100) | rcode & 0xf;
    writeShort(out, query.id());
    writeShort(out, flags);
    writeShort(out, q == null ? 0 : 1);
    writeShort(out, q == null ? 0 : addresses.size());
    writeShort(out, 0);
    writeShort(out, 0);
    if (q != null) {
      writeName(out, q.name());
      writeShort(out, q.type());
      writeShort(out, q.klass());
      for (byte[] a : addresses) {
        out.write(0xc0); // pointer to the question's name at offset 12
        out.write(12);
        writeShort(out, TYPE_A);
        writeShort(out, CLASS_IN);
        writeInt(out, ttl);
        writeShort(out, 4);
        out.writeBytes(a);
      }
    }
    return out.toByteArray();
  }

  /** What a response says: its id, response code and the addresses of its A records. */
  public record Response(int id, int rcode, List<String> addresses) {}

  /** Parses a response's A records (for probes and tests); other records are skipped. */
  public static Response parseResponse(byte[] packet, int length) {
    Query header = parseQuery(packet, length);
    ByteBuffer b = ByteBuffer.wrap(packet, 0, length);
    int an = ByteBuffer.wrap(packet, 6, 2).getShort() & 0xffff;
    b.position(12);
    for (int i = 0; i < header.questions().size(); i++) {
      readName(packet, length, b);
      b.position(b.position() + 4);
    }
    List<String> addresses = new ArrayList<>();
    for (int i = 0; i < an; i++) {
      readName(packet, length, b);
      if (b.remaining() < 10) {
        throw new IllegalArgumentException("answer " + (i + 1) + " of DNS message is cut short");
      }
      int type = b.getShort() & 0xffff;
      b.getShort();
      b.getInt();
      int rdlength = b.getShort() & 0xffff;
      if (b.remaining() < rdlength) {
        throw new IllegalArgumentException("answer " + (i + 1) + " of DNS message is cut short");
      }
      if (type == TYPE_A && rdlength == 4) {
        addresses.add(Ipv4.format(b.getInt()));
      } else {
        b.position(b.position() + rdlength);
      }
    }
    return new Response(header.id(), header.flags() & 0xf, addresses);
  }

  /** A query for {@code name} of {@code type}, as a resolver sends it (for tests and probes). */
  public static byte[] query(int id, String name, int type) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writeShort(out, id);
    writeShort(out, 0x0100);
    writeShort(out, 1);
    writeShort(out, 0);
    writeShort(out, 0);
    writeShort(out, 0);
    writeName(out, name);
    writeShort(out, type);
    writeShort(out, CLASS_IN);
    return out.toByteArray();
  }

  private static void writeName(ByteArrayOutputStream out, String name) {
    if (!name.isEmpty()) {
      for (String label : name.split("\\.")) {
        byte[] l = label.getBytes(StandardCharsets.ISO_8859_1);
        if (l.length == 0 || l.length > 63) {
          throw new IllegalArgumentException("DNS name '" + name + "' has an empty or over-long label");
        }
        out.write(l.length);
        out.writeBytes(l);
      }
    }
    out.write(0);
  }

  private static void writeShort(ByteArrayOutputStream out, int v) {
    out.write(v >> 8 & 0xff);
    out.write(v & 0xff);
  }

  private static void writeInt(ByteArrayOutputStream out, int v) {
    writeShort(out, v >>> 16);
    writeShort(out, v & 0xffff);
  }
}
