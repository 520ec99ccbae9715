package io.hexgate.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The lab's background process, started by {@code hexgate lab up}: runs a {@link Lab} until SIGTERM, writing
 * its pid first and a ready marker once the lab is up. Its shutdown hook takes everything down again, also
 * when the signal comes while the lab is still starting.
 *
 * <p>Arguments: {@code --state-dir DIR --prefix PREFIX --nodes N --crds DIR --bundle DIR --control-plane BIN|embedded [--images DIR]
 * [--hexgate in-process|from-images] [--olm DIR]} ({@code --images}: the OCI archives whose images run as containers, by default
 * {@value #DEFAULT_IMAGES} when it exists; {@code --hexgate}: see {@link LabOptions.Hexgate}).
 */
public final class LabMain {
  public static final String PID_FILE = "lab.pid";
  public static final String READY_FILE = "lab.ready";
  public static final String EMBEDDED = "embedded";
  /** Where the {@code images} module writes its archives, relative to the checkout. */
  public static final String DEFAULT_IMAGES = "images/target";

  private LabMain() {}

  public static void main(String[] args) throws Exception {
    LabOptions options;
    try {
      options = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("hexgate lab: " + e.getMessage());
      System.exit(2);
      return;
    }
    Files.createDirectories(options.stateDir());
    Files.deleteIfExists(options.stateDir().resolve(READY_FILE));
    writeAtomically(options.stateDir().resolve(PID_FILE), Long.toString(ProcessHandle.current().pid()) + "\n");
    Lab lab = Lab.create(options);
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("hexgate lab: stopping");
      try {
        // a signal while starting: let the start stop at its next step and undo itself first
        lab.abort();
        started.await(90, TimeUnit.SECONDS);
        lab.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        LabCleanup.clean(options.prefix());
        try {
          Files.deleteIfExists(options.stateDir().resolve(READY_FILE));
          Files.deleteIfExists(options.stateDir().resolve(PID_FILE));
        } catch (IOException e) {
          System.err.println("hexgate lab: " + e.getMessage());
        }
        System.out.println("hexgate lab: stopped; every namespace, link and pin removed");
        stopped.countDown();
      }
    }, "hexgate-lab-shutdown"));
    try {
      lab.start(System.out);
    } catch (Exception e) {
      System.err.println("hexgate lab: cannot start: " + e.getMessage());
      e.printStackTrace();
      started.countDown();
      System.exit(1);
      return;
    }
    started.countDown();
    lab.writeKubeconfig();
    writeAtomically(
        options.stateDir().resolve(READY_FILE),
        "api=" + lab.controlPlane().url() + "\nnodes=" + options.nodes() + "\nprefix=" + options.prefix() + "\nagents=" + lab.agentsRunning()
            + (lab.relayAddress() == null ? "" : "\nrelay=" + lab.relayAddress()) + "\nhexgate=" + options.hexgate() + "\n");
    System.out.println("hexgate lab: ready; API at " + lab.controlPlane().url() + ", kubeconfig " + options.kubeconfig());
    stopped.await();
  }

  static void writeAtomically(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  static LabOptions parse(String[] args) {
    String prefix = LabOptions.DEFAULT_PREFIX;
    int nodes = 2;
    Path state = LabOptions.defaultStateDir();
    Path crds = Path.of("crds");
    Path bundle = Path.of("config/rbac");
    Path controlPlane = null;
    Path images = Files.isDirectory(Path.of(DEFAULT_IMAGES)) ? Path.of(DEFAULT_IMAGES) : null;
    LabOptions.Hexgate hexgate = LabOptions.Hexgate.IN_PROCESS;
    Path olm = null;
    for (int i = 0; i < args.length; i++) {
      String value = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--prefix" -> prefix = require(args[i], value);
        case "--nodes" -> {
          try {
            nodes = Integer.parseInt(require(args[i], value));
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--nodes: not a number: " + value);
          }
        }
        case "--state-dir" -> state = Path.of(require(args[i], value));
        case "--crds" -> crds = Path.of(require(args[i], value));
        case "--bundle" -> bundle = Path.of(require(args[i], value));
        case "--images" -> images = Path.of(require(args[i], value));
        case "--hexgate" -> hexgate = LabOptions.Hexgate.valueOf(require(args[i], value).toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
        case "--olm" -> olm = Path.of(require(args[i], value)).toAbsolutePath();
        case "--control-plane" -> {
          String v = require(args[i], value);
          controlPlane = v.equals(EMBEDDED) ? null : Path.of(v).toAbsolutePath();
        }
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
      i++;
    }
    return new LabOptions(prefix, nodes, state.toAbsolutePath(), crds.toAbsolutePath(), controlPlane, bundle.toAbsolutePath(),
        images == null ? null : images.toAbsolutePath(), hexgate, olm);
  }

  private static String require(String option, String value) {
    if (value == null) {
      throw new IllegalArgumentException(option + " needs a value");
    }
    return value;
  }
}
