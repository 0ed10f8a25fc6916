//! Block references in WAL records: which pages a record changes, with an
//! optional full-page image of each and the data its redo needs.
//!
//! Payload layout: `nrefs: u8`, then per reference `db: u32,
//! relfilenode: u32, fork: u8, block: u32, flags: u8, [image: 8192 bytes],
//! len: u32, data`.

use crate::storage::buffer::BufferTag;
use crate::storage::page::PAGE_SIZE;
use crate::storage::smgr::{Fork, RelFileLocator};

const HAS_IMAGE: u8 = 1;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockRef {
    pub tag: BufferTag,
    /// The page as it was after the change, when this is its first change since the checkpoint.
    pub image: Option<Box<[u8; PAGE_SIZE]>>,
    pub data: Vec<u8>,
}

/// Redo of a reference that carries its page's full image: put the image
/// in place, stamped with the record's end LSN. `false` if it has none.
pub fn restore_image(pool: &crate::storage::buffer::BufferPool, r: &BlockRef, end: u64) -> crate::error::Result<bool> {
    use crate::storage::page::PageWrite;
    let Some(img) = &r.image else { return Ok(false) };
    let buf = pool.read_buffer_for_overwrite(r.tag)?;
    let mut page = buf.write();
    page.0.copy_from_slice(&img[..]);
    page.set_lsn(end);
    buf.mark_dirty();
    Ok(true)
}

pub fn encode(refs: &[BlockRef]) -> Vec<u8> {
    let mut out =
        Vec::with_capacity(refs.iter().map(|r| 20 + r.data.len() + r.image.as_ref().map_or(0, |_| PAGE_SIZE)).sum());
    out.push(refs.len() as u8);
    for r in refs {
        out.extend_from_slice(&r.tag.rel.db.to_le_bytes());
        out.extend_from_slice(&r.tag.rel.relfilenode.to_le_bytes());
        out.push(match r.tag.fork {
            Fork::Main => 0,
            Fork::FreeSpace => 1,
            Fork::Visibility => 2,
        });
        out.extend_from_slice(&r.tag.block.to_le_bytes());
        out.push(if r.image.is_some() { HAS_IMAGE } else { 0 });
        if let Some(img) = &r.image {
            out.extend_from_slice(&img[..]);
        }
        out.extend_from_slice(&(r.data.len() as u32).to_le_bytes());
        out.extend_from_slice(&r.data);
    }
    out
}

pub fn decode(mut p: &[u8]) -> Option<Vec<BlockRef>> {
    fn take<'a>(p: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        if p.len() < n {
            return None;
        }
        let (head, tail) = p.split_at(n);
        *p = tail;
        Some(head)
    }
    let n = take(&mut p, 1)?[0];
    let mut refs = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let db = u32::from_le_bytes(take(&mut p, 4)?.try_into().ok()?);
        let relfilenode = u32::from_le_bytes(take(&mut p, 4)?.try_into().ok()?);
        let fork = match take(&mut p, 1)?[0] {
            0 => Fork::Main,
            1 => Fork::FreeSpace,
            2 => Fork::Visibility,
            _ => return None,
        };
        let block = u32::from_le_bytes(take(&mut p, 4)?.try_into().ok()?);
        let flags = take(&mut p, 1)?[0];
        let image = if flags & HAS_IMAGE != 0 {
            let mut img = Box::new([0u8; PAGE_SIZE]);
            img.copy_from_slice(take(&mut p, PAGE_SIZE)?);
            Some(img)
        } else {
            None
        };
        let len = u32::from_le_bytes(take(&mut p, 4)?.try_into().ok()?) as usize;
        let data = take(&mut p, len)?.to_vec();
        refs.push(BlockRef { tag: BufferTag { rel: RelFileLocator { db, relfilenode }, fork, block }, image, data });
    }
    p.is_empty().then_some(refs)
}
