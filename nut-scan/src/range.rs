//! Address ranges to scan: a first and last address (C's `-s`/`-e`) or a CIDR block (`-m`),
//! IPv4 or IPv6, walked in order.

use std::net::IpAddr;

/// A bad range: the text given and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RangeError {
    /// Not an IPv4 or IPv6 address.
    #[error("Invalid address : {0}")]
    BadAddress(String),
    /// One end IPv4 and the other IPv6.
    #[error("the range {0} - {1} mixes IPv4 and IPv6")]
    MixedFamilies(String, String),
    /// A CIDR block without `/`.
    #[error("Bad CIDR block (address/prefix length expected): {0}")]
    NotCidr(String),
    /// A prefix length that is not a number in range (1 to 32, or 128 for IPv6).
    #[error("Bad netmask: {0}")]
    BadMask(String),
}

/// An inclusive range of addresses of one family, first <= last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    first: IpAddr,
    last: IpAddr,
}

fn parse(text: &str) -> Result<IpAddr, RangeError> {
    let bare = text.trim_start_matches('[').trim_end_matches(']');
    bare.parse()
        .map_err(|_| RangeError::BadAddress(text.to_owned()))
}

fn to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

fn from_u128(v4: bool, n: u128) -> IpAddr {
    if v4 {
        IpAddr::V4((n as u32).into())
    } else {
        IpAddr::V6(n.into())
    }
}

impl IpRange {
    /// The addresses from `first` to `last` (either order, as C swaps them).
    pub fn new(first: IpAddr, last: IpAddr) -> Result<Self, RangeError> {
        if first.is_ipv4() != last.is_ipv4() {
            return Err(RangeError::MixedFamilies(
                first.to_string(),
                last.to_string(),
            ));
        }
        let (first, last) = if to_u128(first) <= to_u128(last) {
            (first, last)
        } else {
            (last, first)
        };
        Ok(Self { first, last })
    }

    /// C's `-s`/`-e`: either may be missing (the range is then the one address given).
    ///
    /// ```
    /// use nut_scan::IpRange;
    /// let r = IpRange::from_ends(Some("127.0.0.3"), Some("127.0.0.1")).unwrap().unwrap();
    /// let all: Vec<String> = r.iter().map(|a| a.to_string()).collect();
    /// assert_eq!(all, ["127.0.0.1", "127.0.0.2", "127.0.0.3"]);
    /// ```
    pub fn from_ends(start: Option<&str>, end: Option<&str>) -> Result<Option<Self>, RangeError> {
        let (start, end) = match (start, end) {
            (None, None) => return Ok(None),
            (Some(s), None) | (None, Some(s)) => (s, s),
            (Some(s), Some(e)) => (s, e),
        };
        Self::new(parse(start)?, parse(end)?).map(Some)
    }

    /// A CIDR block `address/prefix`, network and broadcast addresses included (as C).
    ///
    /// ```
    /// use nut_scan::IpRange;
    /// let r = IpRange::from_cidr("127.0.0.5/30").unwrap();
    /// assert_eq!(r.first().to_string(), "127.0.0.4");
    /// assert_eq!(r.last().to_string(), "127.0.0.7");
    /// assert_eq!(r.len(), 4);
    /// ```
    pub fn from_cidr(cidr: &str) -> Result<Self, RangeError> {
        let (addr, mask) = cidr
            .split_once('/')
            .ok_or_else(|| RangeError::NotCidr(cidr.to_owned()))?;
        let addr = parse(addr)?;
        let bits: u32 = if addr.is_ipv4() { 32 } else { 128 };
        let prefix: u32 = mask
            .parse()
            .ok()
            .filter(|p| (1..=bits).contains(p))
            .ok_or_else(|| RangeError::BadMask(mask.to_owned()))?;
        let host_bits = bits - prefix;
        let host_mask: u128 = if host_bits == 0 {
            0
        } else {
            u128::MAX >> (128 - host_bits)
        };
        let n = to_u128(addr);
        Self::new(
            from_u128(addr.is_ipv4(), n & !host_mask),
            from_u128(addr.is_ipv4(), n | host_mask),
        )
    }

    /// The first address.
    pub fn first(&self) -> IpAddr {
        self.first
    }

    /// The last address.
    pub fn last(&self) -> IpAddr {
        self.last
    }

    /// How many addresses (saturating at `u128::MAX`).
    pub fn len(&self) -> u128 {
        (to_u128(self.last) - to_u128(self.first)).saturating_add(1)
    }

    /// Never empty: a range holds at least one address.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The addresses in order.
    pub fn iter(&self) -> impl Iterator<Item = IpAddr> + Send + 'static {
        let v4 = self.first.is_ipv4();
        let (first, last) = (to_u128(self.first), to_u128(self.last));
        let mut next = Some(first);
        std::iter::from_fn(move || {
            let n = next?;
            next = (n < last).then(|| n + 1);
            Some(from_u128(v4, n))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let r = IpRange::from_cidr("10.1.2.3/32").unwrap();
        assert_eq!(r.iter().count(), 1);
        let r = IpRange::from_cidr("10.1.2.3/24").unwrap();
        assert_eq!(r.first().to_string(), "10.1.2.0");
        assert_eq!(r.last().to_string(), "10.1.2.255");
        let r = IpRange::from_cidr("::1/127").unwrap();
        let all: Vec<String> = r.iter().map(|a| a.to_string()).collect();
        assert_eq!(all, ["::", "::1"]);
        assert!(IpRange::from_cidr("10.0.0.1").is_err());
        assert!(IpRange::from_cidr("10.0.0.1/0").is_err());
        assert!(IpRange::from_cidr("10.0.0.1/33").is_err());
        assert!(IpRange::from_ends(Some("x"), None).is_err());
        assert!(IpRange::from_ends(Some("::1"), Some("127.0.0.1")).is_err());
        assert_eq!(IpRange::from_ends(None, None), Ok(None));
        let r = IpRange::from_ends(Some("[::1]"), None).unwrap().unwrap();
        assert_eq!(r.len(), 1);
    }
}
