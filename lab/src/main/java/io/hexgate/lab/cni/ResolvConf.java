package io.hexgate.lab.cni;

import io.hexgate.datapath.netns.FileTrees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * A pod's {@code /etc/resolv.conf}, as the kubelet writes it for {@code dnsPolicy: ClusterFirst}: the
 * cluster DNS server, the search list {@code <namespace>.svc.<zone> svc.<zone> <zone>} and ndots:5. It is
 * kept in {@code /etc/netns/<netns>/resolv.conf}, which {@code ip netns exec} bind-mounts over
 * {@code /etc/resolv.conf} for commands it runs in the pod.
 */
public final class ResolvConf {
  public static final Path ETC_NETNS = Path.of("/etc/netns");

  private ResolvConf() {}

  public static String content(String namespace, String zone, String nameserver) {
    return "search " + namespace + ".svc." + zone + " svc." + zone + " " + zone + "\n"
        + "nameserver " + nameserver + "\n"
        + "options ndots:5\n";
  }

  public static Path write(String netns, String namespace, String zone, String nameserver) {
    Path dir = ETC_NETNS.resolve(netns);
    try {
      Files.createDirectories(dir);
      Path f = dir.resolve("resolv.conf");
      Files.writeString(f, content(namespace, zone, nameserver));
      return f;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + dir.resolve("resolv.conf") + ": " + e.getMessage(), e);
    }
  }

  public static void delete(String netns) {
    deleteTree(ETC_NETNS.resolve(netns));
  }

  /** Removes every {@code /etc/netns/PREFIX*} directory, as a crashed lab may have left them. */
  public static void deleteAll(String prefix) {
    if (prefix.isEmpty()) {
      throw new IllegalArgumentException("an empty prefix would remove every namespace's /etc/netns files");
    }
    if (!Files.isDirectory(ETC_NETNS)) {
      return;
    }
    try (Stream<Path> dirs = Files.list(ETC_NETNS)) {
      dirs.filter(d -> d.getFileName().toString().startsWith(prefix)).forEach(ResolvConf::deleteTree);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + ETC_NETNS + ": " + e.getMessage(), e);
    }
  }

  private static void deleteTree(Path dir) {
    try {
      FileTrees.delete(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove " + dir + ": " + e.getMessage(), e);
    }
  }
}
