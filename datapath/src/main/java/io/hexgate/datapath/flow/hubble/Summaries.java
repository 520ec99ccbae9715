package io.hexgate.datapath.flow.hubble;

import io.hexgate.contract.hubble.flow.TCPFlags;
import io.hexgate.contract.v1.HTTP;
import java.util.ArrayList;
import java.util.List;

/** Hubble's Summary strings and TCP flag messages, as the CLI shows them in parentheses. */
final class Summaries {
  private Summaries() {}

  private static final int FIN = 0x01;
  private static final int SYN = 0x02;
  private static final int RST = 0x04;
  private static final int PSH = 0x08;
  private static final int ACK = 0x10;
  private static final int URG = 0x20;
  private static final int ECE = 0x40;
  private static final int CWR = 0x80;

  /** Both by flags byte: 256 of each, built once. */
  private static final String[] TCP_SUMMARY = new String[256];
  private static final TCPFlags[] TCP_FLAGS = new TCPFlags[256];

  static {
    for (int f = 0; f < 256; f++) {
      TCP_FLAGS[f] = TCPFlags.newBuilder()
          .setFIN((f & FIN) != 0).setSYN((f & SYN) != 0).setRST((f & RST) != 0).setPSH((f & PSH) != 0)
          .setACK((f & ACK) != 0).setURG((f & URG) != 0).setECE((f & ECE) != 0).setCWR((f & CWR) != 0)
          .build();
      TCP_SUMMARY[f] = tcpSummary(f);
    }
  }

  /** Hubble's order: SYN, ACK, RST, FIN, PSH, URG, ECE, CWR. Without any flag (a later fragment) just "TCP". */
  private static String tcpSummary(int f) {
    List<String> set = new ArrayList<>();
    int[] bits = {SYN, ACK, RST, FIN, PSH, URG, ECE, CWR};
    String[] names = {"SYN", "ACK", "RST", "FIN", "PSH", "URG", "ECE", "CWR"};
    for (int i = 0; i < bits.length; i++) {
      if ((f & bits[i]) != 0) {
        set.add(names[i]);
      }
    }
    return set.isEmpty() ? "TCP" : "TCP Flags: " + String.join(", ", set);
  }

  static String tcp(int flags) {
    return TCP_SUMMARY[flags & 0xff];
  }

  static TCPFlags tcpFlags(int flags) {
    return TCP_FLAGS[flags & 0xff];
  }

  /** {@code HTTP/1.1 GET http://host/path}. */
  static String httpRequest(HTTP http) {
    return http.getProtocol() + " " + http.getMethod() + " " + http.getUrl();
  }

  /** {@code HTTP/1.1 200 3ms (GET http://host/path)}: whole milliseconds, rounded down as Hubble does. */
  static String httpResponse(HTTP http, long latencyNanos) {
    return http.getProtocol() + " " + http.getCode() + " " + latencyNanos / 1_000_000 + "ms (" + http.getMethod() + " "
        + http.getUrl() + ")";
  }
}
