package prefork.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import java.net.InetSocketAddress;

/**
 * The event-loop comparison: a Netty 4.2 echo server (native epoll when available, else NIO) with Netty's
 * defaults (one acceptor thread, 2 x cores event-loop threads, pooled buffers). TCP: line-based frames
 * echoed back, newline included. UDP: each datagram sent back to its sender. Prints
 * "bench: listening on tcp 127.0.0.1:P" and "... udp 127.0.0.1:Q" (and the transport); runs until killed or
 * until its stdin closes (the suite exited).
 */
public final class NettyEchoServer {
    private NettyEchoServer() {}

    public static void main(String[] args) throws InterruptedException {
        ParentWatch.exitOnStdinEof();
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, io);
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(io);
        Class<? extends ServerChannel> serverChannel = epoll ? EpollServerSocketChannel.class
                : NioServerSocketChannel.class;
        Class<? extends DatagramChannel> datagramChannel = epoll ? EpollDatagramChannel.class
                : NioDatagramChannel.class;
        Channel tcp = new ServerBootstrap().group(boss, workers).channel(serverChannel)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new LineBasedFrameDecoder(8192, false, false), new LineEcho());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", Integer.getInteger("bench.port", 0))).sync().channel();
        Channel udp = new Bootstrap().group(workers).channel(datagramChannel).handler(new DatagramEcho())
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        System.out.println("bench: netty transport " + (epoll ? "epoll" : "nio"));
        System.out.println("bench: listening on tcp 127.0.0.1:" + ((InetSocketAddress) tcp.localAddress()).getPort());
        System.out.println("bench: listening on udp 127.0.0.1:" + ((InetSocketAddress) udp.localAddress()).getPort());
        System.out.flush();
        tcp.closeFuture().sync();
    }

    /** Writes each framed line (with its newline) back. */
    private static final class LineEcho extends SimpleChannelInboundHandler<ByteBuf> {
        LineEcho() {
            super(false);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf line) {
            ctx.writeAndFlush(line);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Sends each datagram back to its sender. */
    private static final class DatagramEcho extends SimpleChannelInboundHandler<DatagramPacket> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            ctx.writeAndFlush(new DatagramPacket(packet.content().retain(), packet.sender()));
        }
    }
}
