"""Forensic disk images: raw/dd (single and split), E01/Ex01, partitions, file systems.

The pieces, outermost first::

    signatures  what an image looks like in its first bytes (pure Python, no libraries)
    segments    split raw (.001, .002 …) and EWF segment files (.E01, .E02 …) by name
    ewf         an E01/Ex01 set as one seekable stream (libewf), its metadata, verification
    volumes     partition tables (MBR, GPT …) and bare file systems over any stream (pytsk3)
    crypt       LUKS, BitLocker, FileVault 2 volumes decrypted with the exhibit's --key
    luks2       LUKS2 in pure Python (libluksde reads LUKS1 only)
    lvm         LVM2 logical volumes (libvslvm)
    fswalk      every file of one file system: allocated, deleted, NTFS streams, with caps
    orphans     the path a deleted NTFS file had, from its record's parent references
    carve       JPEG/PNG/GIF carved from unallocated space, validated
    reader      all of it as a ContainerReader, so files flow through the nested pipeline
    reopen      one file of an image again from its locator (thumbnails, review)
    info        what an exhibit says about itself (evidence.info)

Locators read ``os:/ex/pc.E01 → ewf → partition:2 → ntfs:/Users/x/a.jpg`` with
attributes on the last layer (``inode``, ``deleted``, ``ads``; ``carved`` and
``offset`` for carved files). Only ``signatures`` and ``layers`` may be imported
without pytsk3/pyewf installed.
"""
