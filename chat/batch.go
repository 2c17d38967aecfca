package chat

import (
	"bufio"
	"net"
	"net/http"
	"sync"
	"time"

	"madang/internal/realtime"
)

// Write batching for the WebSocket bridge.
//
// The WebSocket library writes and flushes each frame: one write syscall
// per frame, and on the other end one wake-up and one read per frame. When
// a connection's writer finds several frames waiting (a burst of messages,
// a writer that fell behind during a garbage collection, five tabs of a
// busy chat), they are worth one syscall: the writer opens a batch, the
// frames are written as usual, and their bytes wait in the connection's
// batch buffer until the writer closes the batch. Centrifugo batches its
// writes the same way. The frames stay separate WebSocket frames: clients
// see no difference.

// batchLimit bounds a batch's buffer: past it, the batch is written out
// and the next frames start a new one.
const batchLimit = 64 << 10

// batchBufs holds batch buffers between batches: a connection holds one
// only while its writer has a batch open.
var batchBufs = sync.Pool{New: func() any { return new([]byte) }}

// batchConn is the hijacked connection of a WebSocket, with the batch and
// the time limit of its writes.
type batchConn struct {
	net.Conn

	mu  sync.Mutex // Write may come from the writer, the reader (pongs) and the pinger
	buf *[]byte    // the open batch, nil when none is open
	// bounds each write to the socket: a peer that stops reading fails
	// the write once the socket's buffer is full, and the connection ends
	deadline realtime.WriteDeadline
}

// Write implements net.Conn: inside a batch, p waits in the buffer.
func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.buf != nil {
		if len(*c.buf)+len(p) > batchLimit {
			if err := c.flushLocked(); err != nil {
				return 0, err
			}
		}
		if len(p) <= batchLimit {
			*c.buf = append(*c.buf, p...)
			return len(p), nil
		}
	}
	return c.out(p)
}

// out writes p to the socket within the write timeout; c.mu is held.
func (c *batchConn) out(p []byte) (int, error) {
	if err := c.deadline.Ahead(time.Now(), c.Conn.SetWriteDeadline); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// begin opens a batch.
func (c *batchConn) begin() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.buf == nil {
		c.buf = batchBufs.Get().(*[]byte)
	}
}

// end writes the batch out and closes it.
func (c *batchConn) end() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.buf == nil {
		return nil
	}
	err := c.flushLocked()
	if cap(*c.buf) <= batchLimit {
		batchBufs.Put(c.buf)
	}
	c.buf = nil
	return err
}

func (c *batchConn) flushLocked() error {
	b := *c.buf
	*c.buf = b[:0]
	if len(b) == 0 {
		return nil
	}
	_, err := c.out(b)
	return err
}

// batchingWriter hands the WebSocket library a batchConn when it hijacks
// the connection.
type batchingWriter struct {
	http.ResponseWriter
	timeout time.Duration // the batchConn's
	conn    *batchConn    // set by Hijack
}

// Hijack implements http.Hijacker. The buffered writer returned is the
// server's own (empty once hijacked), now writing through the batchConn.
func (w *batchingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	raw, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.conn = &batchConn{Conn: raw, deadline: realtime.WriteDeadline{Timeout: w.timeout}}
	rw.Writer.Reset(w.conn)
	return w.conn, rw, nil
}

// Unwrap lets http.ResponseController reach the response underneath.
func (w *batchingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
