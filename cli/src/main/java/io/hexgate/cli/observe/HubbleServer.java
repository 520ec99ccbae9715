package io.hexgate.cli.observe;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The Hubble server (relay or agent) the commands talk to, as {@code --server} / {@code $HUBBLE_SERVER} name it. */
final class HubbleServer {
  static final String DEFAULT = "localhost:4245";
  static final String ENV = "HUBBLE_SERVER";

  private HubbleServer() {}

  /** {@code --server} when given, else {@code $HUBBLE_SERVER}, else Hubble's default. */
  static String target(String flag, Map<String, String> env) {
    if (flag != null && !flag.isEmpty()) {
      return flag;
    }
    String fromEnv = env.get(ENV);
    return fromEnv != null && !fromEnv.isEmpty() ? fromEnv : DEFAULT;
  }

  /** A plaintext channel, as Hubble's CLI dials a relay without {@code --tls}. */
  static ManagedChannel dial(String target) {
    if (target.startsWith("tls://")) {
      throw new IllegalArgumentException("--server " + target + ": TLS is not supported here; Hexgate's relay serves plaintext on 4245");
    }
    return ManagedChannelBuilder.forTarget(target).usePlaintext().build();
  }

  static void close(ManagedChannel channel) {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A failed call as Go's gRPC prints it ({@code rpc error: code = Unavailable desc = ...}). */
  static String describe(StatusRuntimeException e) {
    Status s = e.getStatus();
    String desc = s.getDescription() != null ? s.getDescription() : s.getCause() != null ? s.getCause().toString() : "";
    return "rpc error: code = " + goCodeName(s.getCode()) + " desc = " + desc;
  }

  /** Go spells the codes in CamelCase ({@code InvalidArgument}, {@code DeadlineExceeded}). */
  private static String goCodeName(Status.Code code) {
    if (code == Status.Code.OK) {
      return "OK";
    }
    if (code == Status.Code.CANCELLED) {
      return "Canceled";
    }
    StringBuilder b = new StringBuilder();
    for (String part : code.name().split("_")) {
      b.append(part.charAt(0)).append(part.substring(1).toLowerCase(Locale.ROOT));
    }
    return b.toString();
  }
}
