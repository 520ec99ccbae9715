package io.hexgate.datapath.redirect;

import io.hexgate.datapath.netns.NetNsThread;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;

/**
 * The least a transparent proxy does, for tests of the kernel side: a listener (IP_TRANSPARENT, SO_MARK)
 * whose accepted connections are relayed byte for byte to their original destination (the accepted
 * socket's local address) from the client's own address and port (IP_TRANSPARENT, SO_REUSEADDR, SO_MARK),
 * as the L7 proxy does. Every socket lives in the node's network namespace: the event loop threads are
 * started from a thread inside it and inherit it.
 */
final class TransparentRelay implements AutoCloseable {
  /** What the listener accepted: the connection's local (original destination) and remote address. */
  record Accepted(InetSocketAddress local, InetSocketAddress remote) {}

  /** setsockopt for SO_MARK, which Netty's epoll options lack. */
  public interface Sockets {
    int setsockopt(int fd, int level, int name, @In int[] value, int len);
  }

  private static final int SOL_SOCKET = 1;
  private static final int SO_MARK = 36;
  private static final Sockets SOCKETS = LibraryLoader.create(Sockets.class).load("c");

  private final EventLoopGroup group;
  private final Channel listener;
  private final int mark;
  final BlockingQueue<Accepted> accepted = new LinkedBlockingQueue<>();

  private TransparentRelay(EventLoopGroup group, Channel listener, int mark) {
    this.group = group;
    this.listener = listener;
    this.mark = mark;
  }

  static TransparentRelay start(NetNsThread node, int mark) throws Exception {
    EventLoopGroup group = new EpollEventLoopGroup(2);
    TransparentRelay[] self = new TransparentRelay[1];
    Channel ch = node.call(() -> {
      for (EventExecutor e : group) {
        e.submit(() -> {}).syncUninterruptibly(); // started here: in the node's namespace
      }
      return new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
          .option(EpollChannelOption.IP_TRANSPARENT, true)
          .childOption(ChannelOption.AUTO_READ, false)
          .childHandler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel c) {
              self[0].relay(c);
            }
          })
          .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    });
    setMark(((EpollServerSocketChannel) ch).fd().intValue(), mark);
    self[0] = new TransparentRelay(group, ch, mark);
    return self[0];
  }

  /** The listening socket's descriptor, for hg_proxy_sockets. */
  int fd() {
    return ((EpollServerSocketChannel) listener).fd().intValue();
  }

  private static void setMark(int fd, int mark) {
    if (SOCKETS.setsockopt(fd, SOL_SOCKET, SO_MARK, new int[] {mark}, 4) != 0) {
      throw new IllegalStateException("setsockopt(SO_MARK) failed");
    }
  }

  private void relay(Channel client) {
    InetSocketAddress local = (InetSocketAddress) client.localAddress();
    InetSocketAddress remote = (InetSocketAddress) client.remoteAddress();
    accepted.add(new Accepted(local, remote));
    Bootstrap b = new Bootstrap().group(client.eventLoop()).channel(EpollSocketChannel.class)
        .option(EpollChannelOption.IP_TRANSPARENT, true)
        .option(ChannelOption.SO_REUSEADDR, true)
        .handler(new Pipe(client));
    b.register().addListener((ChannelFutureListener) reg -> {
      if (!reg.isSuccess()) {
        client.close();
        return;
      }
      Channel upstream = reg.channel();
      setMark(((EpollSocketChannel) upstream).fd().intValue(), mark);
      upstream.bind(remote).addListener((ChannelFutureListener) bound -> {
        if (!bound.isSuccess()) {
          upstream.close();
          client.close();
          return;
        }
        upstream.connect(local).addListener((ChannelFutureListener) connected -> {
          if (!connected.isSuccess()) {
            client.close();
            return;
          }
          client.pipeline().addLast(new Pipe(upstream));
          client.read();
        });
      });
    });
  }

  /** Writes what one side reads to the other; closes both when either closes. */
  private static final class Pipe extends ChannelInboundHandlerAdapter {
    private final Channel to;

    Pipe(Channel to) {
      this.to = to;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      to.writeAndFlush((ByteBuf) msg).addListener((ChannelFutureListener) f -> {
        if (f.isSuccess()) {
          ctx.read();
        } else {
          ctx.close();
        }
      });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      to.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  @Override
  public void close() {
    listener.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
  }
}
