package io.hexgate.operator;

import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.UncheckedIOException;
import java.util.concurrent.CountDownLatch;

/** The operator as a process: {@link HexgateOperator} from a config, stopped by SIGTERM or Ctrl-C. */
public final class OperatorMain {
  private OperatorMain() {}

  /**
   * Runs the operator {@code config} describes until the process is told to stop (SIGTERM, Ctrl-C), then
   * stops it and closes the client.
   *
   * @throws UncheckedIOException when a port cannot be listened on; the client is closed then
   */
  public static void runUntilShutdown(OperatorConfig config) throws InterruptedException {
    HexgateOperator operator = HexgateOperator.create(config);
    CountDownLatch stopped = new CountDownLatch(1);
    Thread shutdown =
        new Thread(
            () -> {
              operator.stop();
              config.client().close();
              stopped.countDown();
            },
            "hexgate-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdown);
    try {
      operator.start();
    } catch (RuntimeException e) {
      Runtime.getRuntime().removeShutdownHook(shutdown);
      shutdown.run();
      throw e;
    }
    stopped.await();
  }

  /**
   * The operator with its defaults ({@link OperatorConfig#defaults()}) against the cluster the fabric8
   * client finds (KUBECONFIG, ~/.kube/config, then in-cluster); {@code hexgate operator} takes options.
   */
  public static void main(String[] args) throws InterruptedException {
    if (args.length > 0) {
      System.err.println("usage: OperatorMain (no arguments; `hexgate operator --help` lists the options)");
      System.exit(2);
    }
    runUntilShutdown(OperatorConfig.builder(new KubernetesClientBuilder().build()).build());
  }
}
