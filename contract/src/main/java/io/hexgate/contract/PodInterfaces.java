package io.hexgate.contract;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * How a pod's network interface is named on its node. The lab's CNI creates the interface and the agent
 * attaches to it, and neither tells the other: both derive the name from the pod, as Cilium's CNI does with
 * its {@code lxc} + hash names. Fits IFNAMSIZ (15 characters).
 */
public final class PodInterfaces {
  private PodInterfaces() {}

  /** The host-side end of the pod's veth pair, in the node's network namespace. */
  public static String hostSide(String namespace, String pod) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest((namespace + "/" + pod).getBytes(StandardCharsets.UTF_8));
      return "lxc" + HexFormat.of().formatHex(digest).substring(0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
