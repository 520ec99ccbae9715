package io.hexgate.datapath.netns;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Client side of {@link EchoServer}: connections made from inside a namespace, with bounded timeouts, and
 * what became of them.
 */
public final class TcpProbe {
  /** How one attempt ended. */
  public enum Outcome {
    /** connected, and the server answered the line */
    ANSWERED,
    /** no SYN-ACK within the timeout: dropped on the way */
    TIMED_OUT,
    /** RST: nobody listens, or an ICMP error */
    REFUSED,
    /** connected but the answer did not come within the timeout or was wrong */
    NO_ANSWER
  }

  private TcpProbe() {}

  /**
   * Connects from the thread's namespace to {@code ip:port}, sends one line and waits for its echo; both
   * steps within {@code timeout}. Call it on a {@link NetNsThread} (e.g. through {@link #attempt}).
   */
  public static Outcome attemptHere(String ip, int port, Duration timeout) {
    try (Socket s = new Socket()) {
      try {
        s.connect(new InetSocketAddress(ip, port), (int) timeout.toMillis());
      } catch (SocketTimeoutException e) {
        return Outcome.TIMED_OUT;
      } catch (ConnectException e) {
        return Outcome.REFUSED;
      }
      s.setSoTimeout((int) timeout.toMillis());
      s.getOutputStream().write("probe\n".getBytes(StandardCharsets.UTF_8));
      String answer = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
      return answer != null && answer.endsWith(":probe") ? Outcome.ANSWERED : Outcome.NO_ANSWER;
    } catch (IOException e) {
      return Outcome.NO_ANSWER;
    }
  }

  /** {@link #attemptHere} on {@code thread}. */
  public static Outcome attempt(NetNsThread thread, String ip, int port, Duration timeout) throws Exception {
    return thread.call(() -> attemptHere(ip, port, timeout));
  }

  /** One connection kept open, for showing that established connections survive changes. */
  public static final class Connection implements AutoCloseable {
    private final Socket socket;
    private final BufferedReader in;

    private Connection(Socket socket) throws IOException {
      this.socket = socket;
      this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Opens a connection from inside {@code thread}'s namespace. */
    public static Connection open(NetNsThread thread, String ip, int port, Duration timeout) throws Exception {
      return open(thread, 0, ip, port, timeout);
    }

    /** Opens a connection from {@code localPort} (0: any) inside {@code thread}'s namespace. */
    public static Connection open(NetNsThread thread, int localPort, String ip, int port, Duration timeout)
        throws Exception {
      return thread.call(
          () -> {
            Socket s = new Socket();
            if (localPort != 0) {
              s.setReuseAddress(true);
              s.bind(new InetSocketAddress(localPort));
            }
            s.connect(new InetSocketAddress(ip, port), (int) timeout.toMillis());
            s.setSoTimeout((int) timeout.toMillis());
            return new Connection(s);
          });
    }

    /** Sends a line and returns the answer; throws when it does not come within the timeout. */
    public String exchange(String line) throws IOException {
      socket.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
      String answer = in.readLine();
      if (answer == null) {
        throw new IOException("the server closed the connection");
      }
      return answer;
    }

    /** Whether the server closed the connection: the next read ends the stream. */
    public boolean closedByPeer() throws IOException {
      return in.read() == -1;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
