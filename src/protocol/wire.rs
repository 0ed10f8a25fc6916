//! Reading and writing protocol messages on a connection, with pgwire's
//! message types. Output is buffered; callers flush at protocol sync points
//! and whenever a result's rows fill the buffer, so memory stays bounded.

use bytes::{Buf, BufMut, BytesMut};
use pgwire::messages::{DecodeContext, Message, PgWireBackendMessage, PgWireFrontendMessage, ProtocolVersion};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::err;
use crate::error::{Error, Notice, Result, SqlState};
use crate::sql::Column;
use crate::sql::exec::RowSink;
use crate::sql::types::Datum;

/// Flush result rows once this many bytes are buffered.
pub const ROW_BUFFER_LIMIT: usize = 64 * 1024;
/// Startup packets longer than this are refused (PostgreSQL's MAX_STARTUP_PACKET_LENGTH).
const MAX_STARTUP_PACKET: usize = 10000;

pub struct Wire<S> {
    stream: S,
    inbuf: BytesMut,
    pub out: BytesMut,
    ctx: DecodeContext,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Wire<S> {
    pub fn new(stream: S) -> Wire<S> {
        let mut ctx = DecodeContext::new(ProtocolVersion::PROTOCOL3_0);
        ctx.awaiting_frontend_ssl = false;
        ctx.awaiting_frontend_startup = false;
        Wire { stream, inbuf: BytesMut::with_capacity(8192), out: BytesMut::with_capacity(8192), ctx }
    }

    /// Read more bytes; `Ok(false)` at end of stream.
    async fn fill(&mut self) -> std::io::Result<bool> {
        if self.inbuf.capacity() - self.inbuf.len() < 4096 {
            self.inbuf.reserve(8192);
        }
        Ok(self.stream.read_buf(&mut self.inbuf).await? > 0)
    }

    /// Read one startup-phase packet (length-prefixed, no type byte): its body.
    /// `Ok(None)` if the client closed the connection first.
    pub async fn read_startup_packet(&mut self) -> Result<Option<BytesMut>> {
        while self.inbuf.len() < 4 {
            if !self.fill().await? {
                return if self.inbuf.is_empty() { Ok(None) } else { Err(incomplete_startup()) };
            }
        }
        let len = i32::from_be_bytes([self.inbuf[0], self.inbuf[1], self.inbuf[2], self.inbuf[3]]);
        if !(8..=MAX_STARTUP_PACKET as i32).contains(&len) {
            return Err(err!(SqlState::PROTOCOL_VIOLATION, "invalid length of startup packet"));
        }
        while self.inbuf.len() < len as usize {
            if !self.fill().await? {
                return Err(incomplete_startup());
            }
        }
        let mut packet = self.inbuf.split_to(len as usize);
        packet.advance(4);
        Ok(Some(packet))
    }

    /// The next regular message if the client has sent all of it already
    /// (a pipelined Bind, Execute, Sync arrive in one read): no waiting.
    pub fn buffered_message(&mut self) -> Result<Option<PgWireFrontendMessage>> {
        if self.inbuf.is_empty() {
            return Ok(None);
        }
        match PgWireFrontendMessage::decode(&mut self.inbuf, &self.ctx) {
            Ok(m) => Ok(m),
            Err(pgwire::error::PgWireError::InvalidMessageType(t)) => {
                Err(err!(SqlState::PROTOCOL_VIOLATION, "invalid frontend message type {t}"))
            }
            Err(e) => Err(err!(SqlState::PROTOCOL_VIOLATION, "invalid message format: {e}")),
        }
    }

    /// Read one regular message. `Ok(None)` at end of stream.
    pub async fn read_message(&mut self) -> Result<Option<PgWireFrontendMessage>> {
        loop {
            if let Some(m) = self.buffered_message()? {
                return Ok(Some(m));
            }
            if !self.fill().await? {
                return if self.inbuf.is_empty() {
                    Ok(None)
                } else {
                    Err(err!(SqlState::CONNECTION_FAILURE, "unexpected EOF on client connection"))
                };
            }
        }
    }

    /// Read the next message during authentication (a PasswordMessage family member).
    pub async fn read_password_message(&mut self) -> Result<Option<BytesMut>> {
        match self.read_message().await? {
            Some(PgWireFrontendMessage::PasswordMessageFamily(
                pgwire::messages::startup::PasswordMessageFamily::Raw(b),
            )) => Ok(Some(b)),
            Some(PgWireFrontendMessage::Terminate(_)) | None => Ok(None),
            Some(_) => Err(err!(SqlState::PROTOCOL_VIOLATION, "expected password response")),
        }
    }

    pub fn send(&mut self, msg: PgWireBackendMessage) -> Result<()> {
        let r = match &msg {
            PgWireBackendMessage::SslResponse(m) => m.encode(&mut self.out),
            PgWireBackendMessage::GssEncResponse(m) => m.encode(&mut self.out),
            PgWireBackendMessage::Authentication(m) => m.encode(&mut self.out),
            PgWireBackendMessage::ParameterStatus(m) => m.encode(&mut self.out),
            PgWireBackendMessage::BackendKeyData(m) => m.encode(&mut self.out),
            PgWireBackendMessage::NegotiateProtocolVersion(m) => m.encode(&mut self.out),
            PgWireBackendMessage::ParseComplete(m) => m.encode(&mut self.out),
            PgWireBackendMessage::CloseComplete(m) => m.encode(&mut self.out),
            PgWireBackendMessage::BindComplete(m) => m.encode(&mut self.out),
            PgWireBackendMessage::PortalSuspended(m) => m.encode(&mut self.out),
            PgWireBackendMessage::CommandComplete(m) => m.encode(&mut self.out),
            PgWireBackendMessage::EmptyQueryResponse(m) => m.encode(&mut self.out),
            PgWireBackendMessage::ReadyForQuery(m) => m.encode(&mut self.out),
            PgWireBackendMessage::ErrorResponse(m) => m.encode(&mut self.out),
            PgWireBackendMessage::NoticeResponse(m) => m.encode(&mut self.out),
            PgWireBackendMessage::ParameterDescription(m) => m.encode(&mut self.out),
            PgWireBackendMessage::RowDescription(m) => m.encode(&mut self.out),
            PgWireBackendMessage::NoData(m) => m.encode(&mut self.out),
            PgWireBackendMessage::CopyInResponse(m) => m.encode(&mut self.out),
            PgWireBackendMessage::CopyOutResponse(m) => m.encode(&mut self.out),
            PgWireBackendMessage::CopyData(m) => m.encode(&mut self.out),
            PgWireBackendMessage::CopyDone(m) => m.encode(&mut self.out),
            other => {
                return Err(Error::internal(format!("unexpected backend message {other:?}")));
            }
        };
        r.map_err(|e| Error::internal(format!("could not encode message: {e}")))
    }

    /// Write out everything buffered.
    pub async fn flush(&mut self) -> Result<()> {
        if !self.out.is_empty() {
            self.stream.write_all(&self.out).await?;
            self.out.clear();
            if self.out.capacity() > 4 * ROW_BUFFER_LIMIT {
                // Do not keep a large buffer around after a big result.
                self.out = BytesMut::with_capacity(8192);
            }
        }
        self.stream.flush().await?;
        Ok(())
    }

    pub fn send_error(&mut self, e: &Error) -> Result<()> {
        let mut fields = vec![
            (b'S', e.severity().as_str().to_string()),
            (b'V', e.severity().as_str().to_string()),
            (b'C', e.code().code().to_string()),
            (b'M', e.message().to_string()),
        ];
        if let Some(d) = e.detail() {
            fields.push((b'D', d.to_string()));
        }
        if let Some(h) = e.hint() {
            fields.push((b'H', h.to_string()));
        }
        if let Some(p) = e.position() {
            fields.push((b'P', p.to_string()));
        }
        if let Some(w) = e.context() {
            fields.push((b'W', w.to_string()));
        }
        let object =
            [(b's', e.schema()), (b't', e.table()), (b'c', e.column()), (b'd', e.datatype()), (b'n', e.constraint())];
        fields.extend(object.into_iter().filter_map(|(tag, v)| Some((tag, v?.to_string()))));
        self.send(PgWireBackendMessage::ErrorResponse(pgwire::messages::response::ErrorResponse::new(fields)))
    }

    pub fn send_notice(&mut self, n: &Notice) -> Result<()> {
        let mut fields = vec![
            (b'S', n.level.as_str().to_string()),
            (b'V', n.level.as_str().to_string()),
            (b'C', n.code.code().to_string()),
            (b'M', n.message.clone()),
        ];
        if let Some(d) = &n.detail {
            fields.push((b'D', d.clone()));
        }
        if let Some(h) = &n.hint {
            fields.push((b'H', h.clone()));
        }
        self.send(PgWireBackendMessage::NoticeResponse(pgwire::messages::response::NoticeResponse::new(fields)))
    }

    pub fn send_row_description(&mut self, columns: &[Column], binary: &[bool]) -> Result<()> {
        use pgwire::messages::data::{FieldDescription, RowDescription};
        let fields = columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                FieldDescription::new(
                    c.name.clone(),
                    0,
                    0,
                    c.ty.oid(),
                    c.ty.typlen(),
                    c.typmod,
                    binary.get(i).copied().unwrap_or(false) as i16,
                )
            })
            .collect();
        self.send(PgWireBackendMessage::RowDescription(RowDescription::new(fields)))
    }
}

fn incomplete_startup() -> Error {
    err!(SqlState::PROTOCOL_VIOLATION, "incomplete startup packet")
}

/// Encodes result rows as DataRow messages straight into the output buffer.
pub struct DataRowSink<'a> {
    pub out: &'a mut BytesMut,
    pub binary: &'a [bool],
    pub extra_float_digits: i32,
    /// The session's zone, for timestamptz values.
    pub time_zone: crate::sql::datetime::TimeZone,
    pub bytea_output: crate::sql::types::ByteaOutput,
    /// Rows encoded so far.
    pub rows: &'a mut usize,
}

impl RowSink for DataRowSink<'_> {
    fn push_row(&mut self, row: &[Datum]) -> Result<bool> {
        let out = &mut *self.out;
        let style = crate::sql::types::TextStyle {
            extra_float_digits: self.extra_float_digits,
            time_zone: &self.time_zone,
            bytea_output: self.bytea_output,
        };
        let start = out.len();
        out.put_u8(b'D');
        out.put_i32(0); // length, patched below
        out.put_i16(row.len() as i16);
        for (i, v) in row.iter().enumerate() {
            if v.is_null() {
                out.put_i32(-1);
                continue;
            }
            let len_at = out.len();
            out.put_i32(0);
            if self.binary.get(i).copied().unwrap_or(false) {
                v.write_binary(out);
            } else {
                v.write_text_as(out, &style);
            }
            let len = (out.len() - len_at - 4) as i32;
            out[len_at..len_at + 4].copy_from_slice(&len.to_be_bytes());
        }
        let len = (out.len() - start - 1) as i32;
        out[start + 1..start + 5].copy_from_slice(&len.to_be_bytes());
        *self.rows += 1;
        Ok(out.len() >= ROW_BUFFER_LIMIT)
    }
}
