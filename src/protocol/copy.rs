//! The COPY sub-protocol.
//!
//! COPY FROM STDIN: CopyInResponse, then the client's CopyData messages
//! (rows may span them) until CopyDone (→ CommandComplete `COPY n`) or
//! CopyFail (→ 57014). Flush and Sync are ignored meanwhile, as PostgreSQL
//! does; any other message is a protocol violation. After an error the
//! client's remaining CopyData, CopyDone and CopyFail are ignored by the
//! message loop (and, in the extended protocol, everything until Sync).
//!
//! COPY TO STDOUT: CopyOutResponse, one CopyData per row, CopyDone, then
//! CommandComplete. Rows are encoded into the output buffer as the executor
//! produces them and flushed whenever it fills, like DataRows.

use bytes::{BufMut, BytesMut};
use pgwire::messages::Message;
use pgwire::messages::PgWireBackendMessage as B;
use pgwire::messages::PgWireFrontendMessage as F;
use pgwire::messages::copy::{CopyDone, CopyInResponse, CopyOutResponse};
use pgwire::messages::response::CommandComplete;
use tokio::io::{AsyncRead, AsyncWrite};

use super::wire::{ROW_BUFFER_LIMIT, Wire};
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::session::{CopyFormat, Outcome, Session};
use crate::sql::copy::to::Encoder;
use crate::sql::exec::RowSink;
use crate::sql::types::Datum;

fn formats(f: CopyFormat) -> (i8, i16, Vec<i16>) {
    let code = f.binary as i16;
    (code as i8, f.columns as i16, vec![code; f.columns])
}

/// Run a COPY FROM STDIN portal: receive the client's data and store it.
pub(super) async fn copy_in<S>(wire: &mut Wire<S>, session: &mut Session, portal: &str) -> Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let format = session.copy_in_begin(portal)?;
    let (overall, columns, column_formats) = formats(format);
    wire.send(B::CopyInResponse(CopyInResponse::new(overall, columns, column_formats)))?;
    wire.flush().await?;
    let result = receive(wire, session, portal).await;
    match result {
        Ok(tag) => wire.send(B::CommandComplete(CommandComplete::new(tag))),
        Err(e) => {
            session.copy_in_abort();
            Err(e)
        }
    }
}

async fn receive<S>(wire: &mut Wire<S>, session: &mut Session, portal: &str) -> Result<String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    loop {
        let Some(msg) = wire.read_message().await? else {
            return Err(err!(
                SqlState::CONNECTION_FAILURE,
                "unexpected EOF on client connection with an open transaction"
            )
            .fatal());
        };
        match msg {
            F::CopyData(d) => session.copy_in_data(&d.data)?,
            F::CopyDone(_) => return session.copy_in_done(portal),
            F::CopyFail(f) => {
                return Err(err!(SqlState::QUERY_CANCELED, "COPY from stdin failed: {}", f.message));
            }
            F::Flush(_) | F::Sync(_) => {}
            // The client left: end the session (its transaction rolls back).
            F::Terminate(_) => {
                return Err(err!(SqlState::CONNECTION_FAILURE, "client terminated the connection during COPY").fatal());
            }
            other => {
                return Err(err!(
                    SqlState::PROTOCOL_VIOLATION,
                    "unexpected message type 0x{:02X} during COPY from stdin",
                    message_type(&other)
                ));
            }
        }
    }
}

fn message_type(m: &F) -> u8 {
    match m {
        F::Query(_) => b'Q',
        F::Parse(_) => b'P',
        F::Bind(_) => b'B',
        F::Execute(_) => b'E',
        F::Describe(_) => b'D',
        F::Close(_) => b'C',
        F::Terminate(_) => b'X',
        F::PasswordMessageFamily(_) => b'p',
        _ => b'?',
    }
}

/// Run a COPY TO STDOUT portal, streaming its rows.
pub(super) async fn copy_out<S>(wire: &mut Wire<S>, session: &mut Session, portal: &str) -> Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let (encoder, format) = session.copy_out_encoder(portal)?;
    let mut sink = CopyOutSink { out: BytesMut::new(), encoder, format, started: false };
    loop {
        // The sink writes into its own buffer, moved in and out of the wire's.
        sink.out = std::mem::take(&mut wire.out);
        let outcome = session.execute(portal, 0, &mut sink);
        wire.out = std::mem::take(&mut sink.out);
        for n in session.take_notices() {
            wire.send_notice(&n)?;
        }
        match outcome? {
            Outcome::SinkFull | Outcome::Suspended => {
                wire.flush().await?;
                tokio::task::yield_now().await;
            }
            Outcome::Complete(tag) => {
                sink.out = std::mem::take(&mut wire.out);
                sink.begin()?;
                if sink.encoder.has_finish() {
                    let mut trailer = Vec::new();
                    sink.encoder.finish(&mut trailer);
                    put_copy_data(&mut sink.out, &trailer);
                }
                wire.out = std::mem::take(&mut sink.out);
                wire.send(B::CopyDone(CopyDone::new()))?;
                return wire.send(B::CommandComplete(CommandComplete::new(tag)));
            }
            Outcome::Empty => return Err(Error::internal("COPY portal without a statement")),
        }
    }
}

fn put_copy_data(out: &mut BytesMut, data: &[u8]) {
    out.put_u8(b'd');
    out.put_i32(data.len() as i32 + 4);
    out.put_slice(data);
}

/// Encodes rows as CopyData messages. CopyOutResponse goes out with the
/// first row (or at the end), so that an error in starting the query is
/// reported on its own, as PostgreSQL does.
struct CopyOutSink {
    out: BytesMut,
    encoder: Encoder,
    format: CopyFormat,
    started: bool,
}

impl CopyOutSink {
    fn begin(&mut self) -> Result<()> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        let (overall, columns, column_formats) = formats(self.format);
        CopyOutResponse::new(overall, columns, column_formats)
            .encode(&mut self.out)
            .map_err(|e| Error::internal(format!("could not encode message: {e}")))?;
        if self.encoder.has_start() {
            let mut head = Vec::new();
            self.encoder.start(&mut head);
            put_copy_data(&mut self.out, &head);
        }
        Ok(())
    }
}

impl RowSink for CopyOutSink {
    fn push_row(&mut self, row: &[Datum]) -> Result<bool> {
        self.begin()?;
        let out = &mut self.out;
        let start = out.len();
        out.put_u8(b'd');
        out.put_i32(0); // length, patched below
        self.encoder.row(out, row);
        let len = (out.len() - start - 1) as i32;
        out[start + 1..start + 5].copy_from_slice(&len.to_be_bytes());
        Ok(out.len() >= ROW_BUFFER_LIMIT)
    }
}
