//! A reader for the numeric matrices of MATLAB level-5 MAT-files (the format `save` writes by
//! default before v7.3), including zlib-compressed elements. Enough for datasets shipped as .mat.

use std::io::Read;

const MI_INT8: u32 = 1;
const MI_UINT8: u32 = 2;
const MI_INT16: u32 = 3;
const MI_UINT16: u32 = 4;
const MI_INT32: u32 = 5;
const MI_UINT32: u32 = 6;
const MI_SINGLE: u32 = 7;
const MI_DOUBLE: u32 = 9;
const MI_INT64: u32 = 12;
const MI_UINT64: u32 = 13;
const MI_MATRIX: u32 = 14;
const MI_COMPRESSED: u32 = 15;

/// A real numeric matrix; `data` is column-major as MATLAB stores it.
#[derive(Debug, Clone)]
pub struct MatArray {
    pub name: String,
    pub dims: Vec<usize>,
    pub data: Vec<f64>,
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or("MAT-file is truncated")?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// One data element: (type, payload), skipping the padding to 8 bytes.
    fn element(&mut self) -> Result<(u32, &'a [u8]), String> {
        let tag = self.u32()?;
        if tag >> 16 != 0 {
            // small data element: size in the upper half, payload in the next 4 bytes
            let (ty, size) = (tag & 0xffff, (tag >> 16) as usize);
            let payload = self.take(4)?;
            return Ok((ty, &payload[..size.min(4)]));
        }
        let size = self.u32()? as usize;
        let payload = self.take(size)?;
        let pad = (8 - size % 8) % 8;
        if self.pos + pad <= self.bytes.len() {
            self.pos += pad;
        }
        Ok((tag, payload))
    }
}

fn numbers(ty: u32, b: &[u8]) -> Result<Vec<f64>, String> {
    macro_rules! conv {
        ($t:ty, $n:expr) => {
            b.chunks_exact($n).map(|c| <$t>::from_le_bytes(c.try_into().unwrap()) as f64).collect()
        };
    }
    Ok(match ty {
        MI_INT8 => b.iter().map(|&v| v as i8 as f64).collect(),
        MI_UINT8 => b.iter().map(|&v| v as f64).collect(),
        MI_INT16 => conv!(i16, 2),
        MI_UINT16 => conv!(u16, 2),
        MI_INT32 => conv!(i32, 4),
        MI_UINT32 => conv!(u32, 4),
        MI_SINGLE => conv!(f32, 4),
        MI_DOUBLE => conv!(f64, 8),
        MI_INT64 => conv!(i64, 8),
        MI_UINT64 => conv!(u64, 8),
        other => return Err(format!("unsupported MAT data type {other}")),
    })
}

fn matrix(payload: &[u8]) -> Result<Option<MatArray>, String> {
    let mut c = Cursor { bytes: payload, pos: 0 };
    let (_, flags) = c.element()?;
    let class = flags.first().copied().unwrap_or(0);
    let complex = flags.get(1).is_some_and(|f| f & 0x08 != 0);
    // classes 6..=15 are numeric (double, single, int8 … uint64); cells, structs, chars are skipped
    if !(6..=15).contains(&class) || complex {
        return Ok(None);
    }
    let (dty, dims) = c.element()?;
    let dims: Vec<usize> = numbers(dty, dims)?.into_iter().map(|d| d as usize).collect();
    let (_, name) = c.element()?;
    let name = String::from_utf8_lossy(name).into_owned();
    let (rty, real) = c.element()?;
    let data = numbers(rty, real)?;
    let expected: usize = dims.iter().product();
    if data.len() != expected {
        return Err(format!("MAT variable `{name}` has {} values but dims {dims:?}", data.len()));
    }
    Ok(Some(MatArray { name, dims, data }))
}

/// Every real numeric matrix in a level-5 MAT-file.
pub fn read_mat(bytes: &[u8]) -> Result<Vec<MatArray>, String> {
    if bytes.len() < 128 || !bytes.starts_with(b"MATLAB 5.0 MAT-file") {
        return Err("not a MATLAB level-5 MAT-file (bad header)".into());
    }
    if &bytes[126..128] != b"IM" {
        return Err("big-endian MAT-files are not supported".into());
    }
    let mut c = Cursor { bytes, pos: 128 };
    let mut arrays = Vec::new();
    while c.pos + 8 <= bytes.len() {
        let (ty, payload) = c.element()?;
        let inflated;
        let (ty, payload) = if ty == MI_COMPRESSED {
            let mut out = Vec::new();
            flate2::read::ZlibDecoder::new(payload)
                .read_to_end(&mut out)
                .map_err(|e| format!("corrupt compressed MAT element: {e}"))?;
            inflated = out;
            let mut inner = Cursor { bytes: &inflated, pos: 0 };
            let (ity, ipayload) = inner.element()?;
            (ity, ipayload)
        } else {
            (ty, payload)
        };
        if ty == MI_MATRIX
            && let Some(a) = matrix(payload)?
        {
            arrays.push(a);
        }
    }
    Ok(arrays)
}
