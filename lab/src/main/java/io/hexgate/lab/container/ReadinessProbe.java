package io.hexgate.lab.container;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import io.hexgate.datapath.netns.NetNs;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A container's readiness probe, and its startup probe, run by the lab node as a kubelet runs them: httpGet
 * and tcpSocket from inside the pod's network namespace (to the pod's IP unless the probe names a host;
 * HTTPS without verifying the certificate, as a kubelet), exec through {@code runc exec}; every
 * {@code periodSeconds} after {@code initialDelaySeconds}, ready after {@code successThreshold} successes,
 * not after {@code failureThreshold} failures. A startup probe holds the readiness probe back until it
 * first succeeds, which starts a readiness probe at once (as a kubelet's probe manager triggers one), and
 * stops the container after {@code failureThreshold} failures, for its restart policy to restart it.
 */
final class ReadinessProbe {
  private final Probe probe;
  /** The container's ports, by which a probe may name its port. */
  private final java.util.List<io.fabric8.kubernetes.api.model.ContainerPort> ports;
  private final String netns;
  private final String podIp;
  private final RunningContainer container;
  private int successes;
  private int failures;
  private volatile boolean ready;

  private ReadinessProbe(Probe probe, java.util.List<io.fabric8.kubernetes.api.model.ContainerPort> ports, String netns, String podIp,
      RunningContainer container) {
    this.probe = probe;
    this.ports = ports == null ? java.util.List.of() : ports;
    this.netns = netns;
    this.podIp = podIp;
    this.container = container;
  }

  /**
   * Probes {@code container} on {@code timer} with its readiness and startup probes (either may be null) and
   * makes its readiness and start follow; {@code changed} runs when either flips.
   */
  static void attach(Probe readinessProbe, Probe startupProbe, java.util.List<io.fabric8.kubernetes.api.model.ContainerPort> ports,
      String netns, String podIp, RunningContainer container, ScheduledExecutorService timer, Runnable changed) {
    ReadinessProbe readiness = readinessProbe == null ? null : new ReadinessProbe(readinessProbe, ports, netns, podIp, container);
    ReadinessProbe startup = startupProbe == null ? null : new ReadinessProbe(startupProbe, ports, netns, podIp, container);
    Runnable readinessRound = () -> {
      boolean before = readiness.ready;
      if (startup != null && !startup.ready) {
        readiness.successes = 0;
        readiness.ready = false; // a kubelet runs no readiness probe before the startup probe succeeded
      } else {
        readiness.round();
      }
      if (before != readiness.ready) {
        changed.run();
      }
    };
    if (startup != null) {
      container.startup(() -> startup.ready);
      schedule(startupProbe, timer, () -> {
        boolean before = startup.ready;
        startup.startupRound();
        if (before != startup.ready) {
          changed.run();
          if (startup.ready && readiness != null) {
            timer.execute(readinessRound);
          }
        }
      });
    }
    if (readiness != null) {
      container.readiness(() -> readiness.ready);
      schedule(readinessProbe, timer, readinessRound);
    } else {
      container.readiness(() -> startup.ready);
    }
  }

  private static void schedule(Probe probe, ScheduledExecutorService timer, Runnable round) {
    long period = probe.getPeriodSeconds() == null ? 10 : probe.getPeriodSeconds();
    long delay = probe.getInitialDelaySeconds() == null ? 0 : probe.getInitialDelaySeconds();
    timer.scheduleWithFixedDelay(round, delay, period, TimeUnit.SECONDS);
  }

  /** Until the first success of each run of the container; too many failures stop it, as a kubelet kills it. */
  private void startupRound() {
    if (!container.state().running()) {
      failures = 0;
      ready = false;
      return;
    }
    if (ready) {
      return;
    }
    if (check()) {
      failures = 0;
      ready = true;
    } else if (++failures >= (probe.getFailureThreshold() == null ? 3 : probe.getFailureThreshold())) {
      failures = 0;
      Runc.kill(container.id(), "TERM");
    }
  }

  private void round() {
    if (!container.state().running()) {
      successes = 0;
      ready = false;
      return;
    }
    if (check()) {
      failures = 0;
      if (++successes >= (probe.getSuccessThreshold() == null ? 1 : probe.getSuccessThreshold())) {
        ready = true;
      }
    } else {
      successes = 0;
      if (++failures >= (probe.getFailureThreshold() == null ? 3 : probe.getFailureThreshold())) {
        ready = false;
      }
    }
  }

  private boolean check() {
    int timeout = (probe.getTimeoutSeconds() == null ? 1 : probe.getTimeoutSeconds()) * 1000;
    try {
      if (probe.getExec() != null) {
        return Runc.exec(container.id(), probe.getExec().getCommand(), Duration.ofMillis(timeout)) == 0;
      }
      if (probe.getTcpSocket() != null) {
        String host = probe.getTcpSocket().getHost() == null ? podIp : probe.getTcpSocket().getHost();
        return NetNs.call(netns, () -> {
          try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port(probe.getTcpSocket().getPort())), timeout);
            return true;
          }
        });
      }
      if (probe.getHttpGet() != null) {
        var h = probe.getHttpGet();
        String host = h.getHost() == null ? podIp : h.getHost();
        boolean https = "HTTPS".equalsIgnoreCase(h.getScheme());
        int status = NetNs.call(netns, () -> get(host, port(h.getPort()), h.getPath() == null ? "/" : h.getPath(), https, timeout));
        return status >= 200 && status < 400;
      }
    } catch (Exception e) {
      return false;
    }
    return false; // a gRPC probe: not supported, never ready
  }

  private int port(IntOrString p) {
    if (p.getIntVal() != null) {
      return p.getIntVal();
    }
    // a name: the container port of that name, as a kubelet resolves it
    return ports.stream().filter(cp -> p.getStrVal().equals(cp.getName())).map(cp -> cp.getContainerPort()).findFirst()
        .orElseThrow(() -> new IllegalStateException("the container has no port named " + p.getStrVal()));
  }

  /** One HTTP/1.0 GET on a socket opened on this (namespace-bound) thread; the status code. */
  private static int get(String host, int port, String path, boolean https, int timeout) throws Exception {
    try (Socket plain = new Socket()) {
      plain.connect(new InetSocketAddress(host, port), timeout);
      plain.setSoTimeout(timeout);
      Socket s = plain;
      if (https) {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {new TrustAll()}, null);
        SSLSocket tls = (SSLSocket) ctx.getSocketFactory().createSocket(plain, host, port, true);
        tls.startHandshake();
        s = tls;
      }
      OutputStream out = s.getOutputStream();
      out.write(("GET " + path + " HTTP/1.0\r\nHost: " + host + ":" + port + "\r\nUser-Agent: kube-probe/hexgate-lab\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      StringBuilder line = new StringBuilder();
      for (int c = in.read(); c >= 0 && c != '\n'; c = in.read()) {
        line.append((char) c);
      }
      String[] parts = line.toString().split(" ");
      return parts.length >= 2 ? Integer.parseInt(parts[1]) : 0;
    }
  }

  /** A kubelet does not verify the certificate of an HTTPS probe. */
  private static final class TrustAll implements X509TrustManager {
    @Override
    public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {}

    @Override
    public java.security.cert.X509Certificate[] getAcceptedIssuers() {
      return new java.security.cert.X509Certificate[0];
    }
  }
}
